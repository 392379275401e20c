/**
 * The external programs, for `mediaforge doctor`: the CLI asks main (the one place that
 * knows the adapters) what is installed and what it can do, as `start` would find it.
 */
export { detectCapabilities } from '../adapters/ffmpeg-process/ffmpeg.media-runner.js';
export { findYtdlp, ytdlpVersion } from '../adapters/ytdlp/ytdlp.importer.js';
export { resolveFfmpegBinaries } from './ffmpeg-binaries.js';

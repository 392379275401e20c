import type { OutputHandlers } from './pipeline.types.js';
import { framesPipeline } from './frames.pipeline.js';
import { thumbnailPipeline } from './thumbnail.pipeline.js';
import { hlsPipeline } from './hls.pipeline.js';
import { clipsPipeline } from './clips.pipeline.js';
import { audioPipeline, mp4Pipeline } from './rendition.pipeline.js';
import { gifPipeline, webpPipeline } from './animated.pipeline.js';
import { imagePipeline } from './image.pipeline.js';

export const outputHandlers: OutputHandlers = {
  frames: framesPipeline,
  thumbnail: thumbnailPipeline,
  hls: hlsPipeline,
  clips: clipsPipeline,
  mp4: mp4Pipeline,
  audio: audioPipeline,
  gif: gifPipeline,
  webp: webpPipeline,
  image: imagePipeline,
};

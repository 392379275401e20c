import type { OutputHandlers } from './pipeline.types.js';
import { framesPipeline } from './frames.pipeline.js';
import { thumbnailPipeline } from './thumbnail.pipeline.js';

export const outputHandlers: OutputHandlers = {
  frames: framesPipeline,
  thumbnail: thumbnailPipeline,
};

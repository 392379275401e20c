import { z } from 'zod';

/** Building blocks shared by the output schemas. */
export const imageFormat = z.enum(['jpg', 'png', 'webp']);
export const seconds = z.number().finite().min(0).max(86_400 * 7);

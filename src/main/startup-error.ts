/** A configuration or backend that cannot work: the process stops with this one message. */
export class StartupError extends Error {}

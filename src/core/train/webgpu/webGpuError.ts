import { UserError } from '../../userError';

/**
 * A WebGPU problem that comes from the user's machine, not from CharLens: no
 * adapter, a lost device (driver reset, GPU removed, device destroyed), a
 * model too big for the device's limits. The loop falls back to the CPU or
 * stops with this message.
 */
export type WebGpuErrorCode = 'dawn-missing' | 'no-adapter' | 'device-lost' | 'too-big';

export class WebGpuError extends UserError {
  constructor(
    message: string,
    readonly code: WebGpuErrorCode,
  ) {
    super(message, code);
  }
}

/** A WGSL kernel that does not compile or validate: a bug in CharLens (or in the driver), so not a UserError. */
export class WgslCompileError extends Error {
  constructor(
    readonly kernel: string,
    detail: string,
  ) {
    super(`WGSL kernel '${kernel}' failed to compile: ${detail}`);
    this.name = 'WgslCompileError';
  }
}

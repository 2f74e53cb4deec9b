/** A saved n-gram that cannot be read: not one, another version, truncated, or values out of range. */
export class NgramFileError extends Error {}

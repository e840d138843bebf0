// Negative results shared by every codec. Mirrored in src/codec/codecs.ts (CODEC_STATUS).
/** The compressed input ended before the stream did. */
export const E_INPUT_TRUNCATED: i32 = -1;
/** The output would exceed dstCap. */
export const E_OUTPUT_OVERFLOW: i32 = -2;
/** The stream is invalid (bad code, bad distance/offset, bad header, bad table). */
export const E_CORRUPT: i32 = -3;
/** A checksum in the stream does not match the data. */
export const E_CHECKSUM: i32 = -4;
/** A valid stream using a feature we do not implement (e.g. zstd dictionary). */
export const E_UNSUPPORTED: i32 = -5;

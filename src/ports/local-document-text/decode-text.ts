import { AppError } from "../../platform/errors";

/**
 * Text bytes to a string: the declared charset when there is one, else the byte order mark, else
 * UTF-8 (WHATWG Encoding "decode"). Malformed bytes become U+FFFD rather than failing the upload.
 */
export function decodeText(bytes: Uint8Array, charset?: string): string {
  let label = charset?.toLowerCase();
  if (!label) {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) label = "utf-16le";
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) label = "utf-16be";
    else label = "utf-8";
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: false, ignoreBOM: false });
  } catch {
    throw new AppError("unsupported_media_type", `The charset "${charset}" is not supported; send UTF-8.`, {
      code: "document_charset_unsupported",
    });
  }
  return decoder.decode(bytes);
}

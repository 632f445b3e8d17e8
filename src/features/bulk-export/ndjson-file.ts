/**
 * One NDJSON export file written to R2 without holding it in memory: lines are buffered up to one part
 * (PART_BYTES, above R2's 5 MiB minimum for all but the last part) and sent with a multipart upload; a
 * file that never fills a part is written with one put. Closing completes the upload.
 */

/** R2 multipart parts must be at least 5 MiB, except the last one. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export const NDJSON_TYPE = "application/fhir+ndjson";

export class NdjsonFile {
  private lines: string[] = [];
  /** UTF-16 length of the buffered text: never more than its UTF-8 byte length. */
  private buffered = 0;
  private upload: R2MultipartUpload | null = null;
  private readonly parts: R2UploadedPart[] = [];
  /** Bytes written to parts so far plus the buffer's length (a lower bound of the file size). */
  size = 0;
  count = 0;

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly partBytes = 8 * 1024 * 1024,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new Error(`partBytes must be at least ${MIN_PART_BYTES}`);
  }

  /** Appends one resource (its JSON text on one line). */
  async append(json: string): Promise<void> {
    // Stored bodies are compact JSON; anything else is re-serialised so the line holds one resource.
    const line = json.includes("\n") ? JSON.stringify(JSON.parse(json)) : json;
    this.lines.push(line, "\n");
    this.buffered += line.length + 1;
    this.size += line.length + 1;
    this.count++;
    if (this.buffered >= this.partBytes) await this.flushPart();
  }

  private async flushPart(): Promise<void> {
    const data = new TextEncoder().encode(this.lines.join(""));
    this.lines = [];
    this.buffered = 0;
    this.upload ??= await this.bucket.createMultipartUpload(this.key, { httpMetadata: { contentType: NDJSON_TYPE } });
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, data));
  }

  /** Writes what is left and makes the object visible. */
  async close(): Promise<void> {
    if (!this.upload) {
      await this.bucket.put(this.key, this.lines.join(""), { httpMetadata: { contentType: NDJSON_TYPE } });
      this.lines = [];
      return;
    }
    if (this.lines.length) await this.flushPart();
    await this.upload.complete(this.parts);
  }

  /** Drops an unfinished upload (failure or cancellation). */
  async abort(): Promise<void> {
    this.lines = [];
    if (this.upload) await this.upload.abort();
  }
}

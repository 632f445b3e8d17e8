import { describe, expect, it } from "vitest";
import { LocalDocumentText } from "../../src/ports/local-document-text/local-document-text";
import { failure } from "../harness";
import { bytes, cidHex, concatBytes, deflate, hex, PdfBuilder, simplePdf, toUnicodeCMap } from "./pdf-builder";

const engine = new LocalDocumentText();
const utf8 = (s: string) => new TextEncoder().encode(s);

async function extract(data: Uint8Array, mediaType: string) {
  return engine.extract({ bytes: data, mediaType });
}

describe("LocalDocumentText: text formats", () => {
  it("passes plain text, JSON and CSV through unchanged (BOM removed)", async () => {
    const note = "Temp 38.5 °C, SpO₂ 94 %, µg dosing 😀\nline 2";
    const plain = await extract(
      concatBytes([new Uint8Array([0xef, 0xbb, 0xbf]), utf8(note)]),
      "text/plain; charset=utf-8",
    );
    expect(plain).toEqual({ text: note, format: "text", mediaType: "text/plain", engine: "local" });

    const json = '{"resourceType":"Patient","name":[{"family":"Doe"}]}';
    expect((await extract(utf8(json), "application/fhir+json")).text).toBe(json);
    expect((await extract(utf8("a,b\n1,2"), "text/csv")).text).toBe("a,b\n1,2");
  });

  it("reports markdown as markdown", async () => {
    const md = "# Assessment\n\n- HTN\n- T2DM";
    expect(await extract(utf8(md), "text/markdown")).toMatchObject({ text: md, format: "markdown" });
  });

  it("honours a declared charset and a UTF-16 byte order mark", async () => {
    const latin1 = new Uint8Array([0x66, 0x69, 0xe8, 0x76, 0x72, 0x65]); // "fièvre" in ISO-8859-1
    expect((await extract(latin1, "text/plain; charset=ISO-8859-1")).text).toBe("fièvre");
    const utf16 = new Uint8Array([0xff, 0xfe, 0x48, 0x00, 0xe9, 0x00]); // BOM + "Hé"
    expect((await extract(utf16, "text/plain")).text).toBe("Hé");
    const e = await failure(extract(utf8("x"), "text/plain; charset=x-no-such-charset"));
    expect([e.status, e.code]).toEqual([415, "document_charset_unsupported"]);
  });

  it("strips HTML to readable text with structure", async () => {
    const html = `<!DOCTYPE html><html><head><title>t</title><style>p{color:red}</style>
      <script>alert("x")</script></head><body>
      <h1>Discharge   summary</h1><!-- hidden -->
      <p>Patient denies <b>chest pain</b>.<br>BP 140/90 &amp; HR 88 &#8211; temp 38&nbsp;&deg;C, caf&eacute;</p>
      <ul><li>Metformin 500 mg BID</li><li>Lisinopril 10 mg daily</li></ul>
      <table><tr><th>Test</th><th>Value</th></tr><tr><td>HbA1c</td><td>7.2 %</td></tr></table>
      <pre>  keep
    spacing</pre></body></html>`;
    const result = await extract(utf8(html), "text/html; charset=utf-8");
    expect(result.format).toBe("text");
    expect(result.text).toBe(
      [
        "Discharge summary",
        "",
        "Patient denies chest pain.",
        "BP 140/90 & HR 88 – temp 38 °C, café",
        "",
        "- Metformin 500 mg BID",
        "- Lisinopril 10 mg daily",
        "",
        "Test\tValue",
        "HbA1c\t7.2 %",
        "",
        "  keep\n    spacing",
      ].join("\n"),
    );
  });

  it("sniffs generic uploads: PDF, HTML, text, images", async () => {
    const pdf = await simplePdf(["BT /F1 12 Tf 72 720 Td (sniffed) Tj ET"]);
    expect(await extract(pdf, "application/octet-stream")).toMatchObject({
      text: "sniffed",
      mediaType: "application/pdf",
    });
    expect((await extract(utf8("<html><body><p>x</p></body></html>"), "")).mediaType).toBe("text/html");
    expect((await extract(utf8("just words"), "application/octet-stream")).mediaType).toBe("text/plain");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const e = await failure(extract(png, "application/octet-stream"));
    expect([e.status, e.code, e.message]).toEqual([
      422,
      "ocr_unavailable",
      expect.stringContaining("DOCUMENT_TEXT_PROVIDER=workers-ai"),
    ]);
  });

  it("refuses images (OCR), office formats (415) and empty documents (400) with clear codes", async () => {
    const image = await failure(extract(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), "image/jpeg"));
    expect([image.status, image.code]).toEqual([422, "ocr_unavailable"]);
    const docx = await failure(
      extract(
        new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      ),
    );
    expect([docx.status, docx.code]).toEqual([415, "document_type_unsupported"]);
    expect(docx.message).toContain("DOCUMENT_TEXT_PROVIDER=workers-ai");
    const empty = await failure(extract(new Uint8Array(0), "text/plain"));
    expect([empty.status, empty.code]).toEqual([400, "document_empty"]);
  });
});

describe("LocalDocumentText: PDF text layer", () => {
  it("reads an uncompressed page with lines from Td and T* and a paragraph gap", async () => {
    const pdf = await simplePdf([
      "BT /F1 12 Tf 14 TL 72 720 Td (Patient: John Doe) Tj T* (BP 140/90 mmHg) Tj 0 -40 Td (Plan: recheck in 2 weeks) Tj ET",
    ]);
    const result = await extract(pdf, "application/pdf");
    expect(result).toEqual({
      text: "Patient: John Doe\nBP 140/90 mmHg\n\nPlan: recheck in 2 weeks",
      format: "text",
      mediaType: "application/pdf",
      pageCount: 1,
      engine: "local",
    });
  });

  it("reads Flate-compressed pages in page-tree order, pages separated by a blank line", async () => {
    const pdf = await simplePdf(
      ["BT /F1 11 Tf 72 720 Td (Page one) Tj ET", "BT /F1 11 Tf 72 720 Td (Page two) Tj ET"],
      { compress: true },
    );
    const result = await extract(pdf, "application/pdf");
    expect(result.text).toBe("Page one\n\nPage two");
    expect(result.pageCount).toBe(2);
  });

  it("follows the page tree, not the order objects appear in the file", async () => {
    const pdf = new PdfBuilder();
    const catalog = pdf.reserve();
    const tree = pdf.reserve();
    const font = pdf.object("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>");
    const first = pdf.stream("", "BT /F1 12 Tf 72 700 Td (first) Tj ET");
    const second = pdf.stream("", "BT /F1 12 Tf 72 700 Td (second) Tj ET");
    const resources = `/Resources << /Font << /F1 ${font} 0 R >> >>`;
    const p2 = pdf.object(`<< /Type /Page /Parent ${tree} 0 R ${resources} /Contents ${second} 0 R >>`);
    const p1 = pdf.object(`<< /Type /Page /Parent ${tree} 0 R ${resources} /Contents ${first} 0 R >>`);
    pdf.object(`<< /Type /Pages /Kids [${p1} 0 R ${p2} 0 R] /Count 2 >>`, tree);
    pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    expect((await extract(pdf.build(`/Root ${catalog} 0 R`), "application/pdf")).text).toBe("first\n\nsecond");
  });

  it("decodes Type0 fonts through their ToUnicode CMap (non-ASCII, astral characters)", async () => {
    const alphabet = Array.from("Température 38,5°C µg/L café😀");
    const unique = [...new Set(alphabet)];
    const pdf = new PdfBuilder();
    const catalog = pdf.reserve();
    const tree = pdf.reserve();
    const cmap = pdf.stream("/Filter /FlateDecode", await deflate(bytes(toUnicodeCMap(unique))));
    const cid = pdf.object(
      "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+NotoSans /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 /W [1 [600 550] 10 20 480] >>",
    );
    const font = pdf.object(
      `<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+NotoSans /Encoding /Identity-H /DescendantFonts [${cid} 0 R] /ToUnicode ${cmap} 0 R >>`,
    );
    const content = `BT /F0 10 Tf 72 700 Td ${cidHex("Température 38,5°C", unique)} Tj 0 -14 Td ${cidHex("µg/L café😀", unique)} Tj ET`;
    const stream = pdf.stream("", content);
    const page = pdf.object(
      `<< /Type /Page /Parent ${tree} 0 R /Resources << /Font << /F0 ${font} 0 R >> >> /Contents ${stream} 0 R >>`,
    );
    pdf.object(`<< /Type /Pages /Kids [${page} 0 R] /Count 1 >>`, tree);
    pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    expect((await extract(pdf.build(`/Root ${catalog} 0 R`), "application/pdf")).text).toBe(
      "Température 38,5°C\nµg/L café😀",
    );
  });

  it("turns TJ gaps into spaces but not kerning, and spaces runs placed apart on one line", async () => {
    const pdf = await simplePdf([
      [
        "BT /F1 10 Tf 72 700 Td [(Chest)-333(pain,)-250(no)-300(dyspnea)] TJ",
        "0 -14 Td [(W)120(orld)-15(wide)] TJ",
        // "Hello" in Helvetica 12 is 27.3 units wide; the next run starts 12.7 further on.
        "0 -14 Td /F1 12 Tf (Hello) Tj 40 0 Td (world) Tj ET",
      ].join("\n"),
    ]);
    expect((await extract(pdf, "application/pdf")).text).toBe("Chest pain, no dyspnea\nWorldwide\nHello world");
  });

  it("reads string escapes, octal codes in WinAnsi, Differences glyph names and quote operators", async () => {
    const pdf = new PdfBuilder();
    const catalog = pdf.reserve();
    const tree = pdf.reserve();
    const win = pdf.object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    const diff = pdf.object(
      "<< /Type /Font /Subtype /Type1 /BaseFont /XYZABC+Custom /FirstChar 65 /LastChar 67 /Widths [500 500 500] /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /eacute /degree /uni00B5] >> >>",
    );
    const content = [
      "BT /F1 12 Tf 14 TL 72 700 Td (Dose \\(oral\\): 5\\\\day, fi\\350vre \\223quoted\\224) Tj",
      "(second line via quote) '",
      '0 0 (third via double quote) "',
      "/F2 12 Tf T* (ABC) Tj ET",
    ].join("\n");
    const stream = pdf.stream("", content);
    const page = pdf.object(
      `<< /Type /Page /Parent ${tree} 0 R /Resources << /Font << /F1 ${win} 0 R /F2 ${diff} 0 R >> >> /Contents ${stream} 0 R >>`,
    );
    pdf.object(`<< /Type /Pages /Kids [${page} 0 R] /Count 1 >>`, tree);
    pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    expect((await extract(pdf.build(`/Root ${catalog} 0 R`), "application/pdf")).text).toBe(
      "Dose (oral): 5\\day, fièvre “quoted”\nsecond line via quote\nthird via double quote\né°µ",
    );
  });

  it("reads pages and fonts packed in object streams, found through a cross-reference stream", async () => {
    const pdf = new PdfBuilder();
    // Objects 1–4 live in object stream 6; only the content stream (5) is a direct object.
    const packed = [
      [1, "<< /Type /Catalog /Pages 2 0 R >>"],
      [2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"],
      [3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"],
      [4, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"],
    ] as const;
    let header = "";
    let body = "";
    for (const [num, text] of packed) {
      header += `${num} ${body.length} `;
      body += `${text}\n`;
    }
    const objstm = bytes(`${header}\n${body}`);
    pdf.reserve();
    pdf.reserve();
    pdf.reserve();
    pdf.reserve();
    pdf.stream("/Filter /FlateDecode", await deflate(bytes("BT /F1 9 Tf 10 10 Td (packed objects) Tj ET")), 5);
    pdf.stream(
      `/Type /ObjStm /N ${packed.length} /First ${header.length + 1} /Filter /FlateDecode`,
      await deflate(objstm),
      6,
    );
    const compressed = new Map<number, [number, number]>(packed.map(([num], i) => [num, [6, i]]));
    const file = pdf.build("/Root 1 0 R", { xrefStream: { compressed } });
    expect((await extract(file, "application/pdf")).text).toBe("packed objects");
  });

  it("reads text drawn by form XObjects with their own resources", async () => {
    const pdf = new PdfBuilder();
    const catalog = pdf.reserve();
    const tree = pdf.reserve();
    const font = pdf.object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    const form = pdf.stream(
      `/Type /XObject /Subtype /Form /BBox [0 0 200 50] /Resources << /Font << /FX ${font} 0 R >> >>`,
      "BT /FX 10 Tf 0 0 Td (from the form) Tj ET",
    );
    const stream = pdf.stream("", "BT /FX 10 Tf 72 700 Td (Header) Tj ET q 1 0 0 1 72 600 cm /Fm1 Do Q");
    const page = pdf.object(
      `<< /Type /Page /Parent ${tree} 0 R /Resources << /Font << /FX ${font} 0 R >> /XObject << /Fm1 ${form} 0 R >> >> /Contents ${stream} 0 R >>`,
    );
    pdf.object(`<< /Type /Pages /Kids [${page} 0 R] /Count 1 >>`, tree);
    pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    expect((await extract(pdf.build(`/Root ${catalog} 0 R`), "application/pdf")).text).toBe("Header\n\nfrom the form");
  });

  it("decodes filter chains (ASCIIHex over Flate), indirect /Length, and skips inline images", async () => {
    const pdf = new PdfBuilder();
    const catalog = pdf.reserve();
    const tree = pdf.reserve();
    const font = pdf.object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    const content = bytes(
      "BT /F1 12 Tf 72 700 Td (before image) Tj ET BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xffEI\x01 EI BT /F1 12 Tf 72 650 Td (after image) Tj ET",
    );
    const encoded = bytes(hex(await deflate(content)));
    const length = pdf.reserve();
    const stream = pdf.stream(`/Filter [/ASCIIHexDecode /FlateDecode] /Length ${length} 0 R`, encoded);
    pdf.object(String(encoded.length), length);
    const page = pdf.object(
      `<< /Type /Page /Parent ${tree} 0 R /Resources << /Font << /F1 ${font} 0 R >> >> /Contents [${stream} 0 R] >>`,
    );
    pdf.object(`<< /Type /Pages /Kids [${page} 0 R] /Count 1 >>`, tree);
    pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    expect((await extract(pdf.build(`/Root ${catalog} 0 R`), "application/pdf")).text).toBe(
      "before image\n\nafter image",
    );
  });

  it("refuses encrypted, scanned (no text layer) and broken PDFs with 422s that say why", async () => {
    const encrypted = new PdfBuilder();
    const catalog = encrypted.reserve();
    const tree = encrypted.object("<< /Type /Pages /Kids [] /Count 0 >>");
    encrypted.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
    const enc = encrypted.object("<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <00> /U <00> >>");
    const e1 = await failure(extract(encrypted.build(`/Root ${catalog} 0 R /Encrypt ${enc} 0 R`), "application/pdf"));
    expect([e1.status, e1.code]).toEqual([422, "pdf_encrypted"]);

    const scanned = new PdfBuilder();
    const c2 = scanned.reserve();
    const t2 = scanned.reserve();
    const image = scanned.stream(
      "/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
      new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    );
    const s2 = scanned.stream("", "q 612 0 0 792 0 0 cm /Im1 Do Q");
    const p2 = scanned.object(
      `<< /Type /Page /Parent ${t2} 0 R /Resources << /XObject << /Im1 ${image} 0 R >> >> /Contents ${s2} 0 R >>`,
    );
    scanned.object(`<< /Type /Pages /Kids [${p2} 0 R] /Count 1 >>`, t2);
    scanned.object(`<< /Type /Catalog /Pages ${t2} 0 R >>`, c2);
    const e2 = await failure(extract(scanned.build(`/Root ${c2} 0 R`), "application/pdf"));
    expect([e2.status, e2.code]).toEqual([422, "ocr_unavailable"]);
    expect(e2.message).toContain("DOCUMENT_TEXT_PROVIDER=workers-ai");

    const e3 = await failure(extract(utf8("this is not a pdf"), "application/pdf"));
    expect([e3.status, e3.code]).toEqual([422, "pdf_unreadable"]);
    const e4 = await failure(extract(bytes("%PDF-1.7\n%%EOF\n"), "application/pdf"));
    expect([e4.status, e4.code]).toEqual([422, "pdf_unreadable"]);
  });

  it("extracts a 200-page compressed PDF quickly", async () => {
    const pages = Array.from(
      { length: 200 },
      (_, i) =>
        `BT /F1 10 Tf 12 TL 72 720 Td ${Array.from({ length: 40 }, (_, l) => `(Page ${i + 1} line ${l + 1}: patient reports no chest pain, BP 120/80.) Tj T*`).join(" ")} ET`,
    );
    const pdf = await simplePdf(pages, { compress: true });
    const started = performance.now();
    const result = await extract(pdf, "application/pdf");
    const elapsed = performance.now() - started;
    expect(result.pageCount).toBe(200);
    expect(result.text.split("\n").filter((l) => l.startsWith("Page ")).length).toBe(8000);
    expect(result.text).toContain("Page 200 line 40: patient reports no chest pain, BP 120/80.");
    console.log(`pdf-bench: 200 pages, ${pdf.length} bytes, ${elapsed.toFixed(0)} ms`);
  });
});

import { describe, expect, it } from "vitest";
import { csvRecords } from "../../src/features/terminology/importers/csv";
import { importCptFile, importDelimited } from "../../src/features/terminology/importers/delimited";
import { importHpoJson } from "../../src/features/terminology/importers/hpo-json";
import { importHpoObo } from "../../src/features/terminology/importers/hpo-obo";
import { importIcd10Order } from "../../src/features/terminology/importers/icd10-order";
import { importIcd10cmCsv } from "../../src/features/terminology/importers/icd10cm-csv";
import { readIcd10cmIndexCsv, readIcd10cmIndexXml } from "../../src/features/terminology/importers/icd10cm-index";
import { importIcd10cmTabularXml } from "../../src/features/terminology/importers/icd10cm-tabular-xml";
import { importLoincCsv } from "../../src/features/terminology/importers/loinc-csv";
import { importRxnormConso, readRxnormParents } from "../../src/features/terminology/importers/rxnorm-rrf";
import {
  importSnomedDescriptions,
  readSnomedParents,
  readSnomedPreferred,
} from "../../src/features/terminology/importers/snomed-rf2";
import { ImportFormatError } from "../../src/features/terminology/importers/types";
import { chunked, collect } from "./helpers";

/** Small chunks put record boundaries, quotes and CRLF pairs across chunk edges. */
const SIZES = [3, 7, 64 * 1024];

describe("CSV reader", () => {
  it("reads quotes, doubled quotes, embedded delimiters and line breaks, CRLF across chunks", async () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"multi\nline",\r\n\r\n3,,z';
    for (const size of SIZES) {
      const recs = await collect(csvRecords(chunked(text, size)));
      expect(recs.map((r) => r.fields)).toEqual([
        ["a", "b", "c"],
        ["1", "x, y", 'say "hi"'],
        ["2", "multi\nline", ""],
        ["3", "", "z"],
      ]);
      expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 6]);
    }
  });

  it("rejects malformed quoting with the line number", async () => {
    await expect(collect(csvRecords(chunked('a,b\n1,x"y\n', 4)))).rejects.toThrow(
      /line 2: a quote inside an unquoted field/,
    );
    await expect(collect(csvRecords(chunked('a,b\n1,"x"y\n', 4)))).rejects.toThrow(
      /line 2: unexpected text after a closing quote/,
    );
    await expect(collect(csvRecords(chunked('a,b\n1,"open\n', 4)))).rejects.toThrow(
      /line 2: unterminated quoted field/,
    );
  });
});

describe("ICD-10-CM / ICD-10-PCS order file", () => {
  // Official layout: order 1-5, code 7-13, flag 15, short description 17-76, long description from 78.
  const line = (order: number, code: string, flag: string, short: string, long: string) =>
    `${String(order).padStart(5, "0")} ${code.padEnd(7)} ${flag} ${short.padEnd(60)} ${long}`;
  const cm = [
    line(1, "E11", "0", "Type 2 diabetes mellitus", "Type 2 diabetes mellitus"),
    line(
      2,
      "E116",
      "0",
      "Type 2 diabetes mellitus with other specified complications",
      "Type 2 diabetes mellitus with other specified complications",
    ),
    line(3, "E1165", "1", "Type 2 diabetes mellitus with hyperglycemia", "Type 2 diabetes mellitus with hyperglycemia"),
    line(
      4,
      "S0000XA",
      "1",
      "Unsp superficial injury of unsp part of head, init encntr",
      "Unspecified superficial injury of unspecified part of head, initial encounter",
    ),
  ].join("\r\n");

  it("reads codes, dots ICD-10-CM codes, keeps the short name as a synonym and derives parents", async () => {
    for (const size of SIZES) {
      const recs = await collect(importIcd10Order(chunked(cm, size), { dotted: true }));
      expect(recs.map((r) => [r.code, r.parents])).toEqual([
        ["E11", []],
        ["E11.6", ["E11"]],
        ["E11.65", ["E11.6"]],
        ["S00.00XA", []],
      ]);
      expect(recs[3]!.description).toBe(
        "Unspecified superficial injury of unspecified part of head, initial encounter",
      );
      expect(recs[3]!.synonyms).toEqual(["Unsp superficial injury of unsp part of head, init encntr"]);
    }
  });

  it("keeps ICD-10-PCS codes without a dot", async () => {
    const pcs = [
      line(
        1,
        "001",
        "0",
        "Central Nervous System and Cranial Nerves, Bypass",
        "Central Nervous System and Cranial Nerves, Bypass",
      ),
      line(
        2,
        "00160J0",
        "1",
        "Bypass Cereb Vent to Nasophar with Synth Sub, Open Approach",
        "Bypass Cerebral Ventricle to Nasopharynx with Synthetic Substitute, Open Approach",
      ),
    ].join("\n");
    const recs = await collect(importIcd10Order(chunked(pcs, 11), { dotted: false }));
    expect(recs.map((r) => [r.code, r.parents])).toEqual([
      ["001", []],
      ["00160J0", ["001"]],
    ]);
  });

  it("rejects a file that is not an order file", async () => {
    await expect(
      collect(importIcd10Order(chunked("Code,Description\nE11,Diabetes", 8), { dotted: true })),
    ).rejects.toThrow(ImportFormatError);
  });
});

describe("ICD-10-CM tabular XML", () => {
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2025</version>
  <chapter>
    <name>4</name>
    <desc>Endocrine, nutritional and metabolic diseases (E00-E89)</desc>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <diag>
        <name>E11</name>
        <desc>Type 2 diabetes mellitus</desc>
        <inclusionTerm>
          <note>diabetes (mellitus) due to insulin secretory defect</note>
          <note>type II diabetes mellitus</note>
        </inclusionTerm>
        <diag>
          <name>E11.6</name>
          <desc>Type 2 diabetes mellitus with other specified complications</desc>
          <diag>
            <name>E11.65</name>
            <desc>Type 2 diabetes mellitus with hyperglycemia</desc>
          </diag>
        </diag>
      </diag>
    </section>
  </chapter>
  <chapter>
    <name>19</name>
    <desc>Injury, poisoning &amp; certain other consequences of external causes (S00-T88)</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S00</name>
        <desc>Superficial injury of head</desc>
        <sevenChrNote><note>The appropriate 7th character is to be added to each code from category S00</note></sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S00.0</name>
          <desc>Superficial injury of scalp</desc>
          <diag>
            <name>S00.00</name>
            <desc>Unspecified superficial injury of scalp</desc>
          </diag>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>`;

  it("streams diags with inclusion terms as synonyms, nested parents and 7th-character codes", async () => {
    for (const size of SIZES) {
      const recs = await collect(importIcd10cmTabularXml(chunked(xml, size)));
      expect(recs.map((r) => r.code)).toEqual([
        "E11",
        "E11.6",
        "E11.65",
        "S00",
        "S00.0",
        "S00.00",
        "S00.00XA",
        "S00.00XD",
        "S00.00XS",
      ]);
      const e11 = recs[0]!;
      expect(e11.synonyms).toEqual([
        "diabetes (mellitus) due to insulin secretory defect",
        "type II diabetes mellitus",
      ]);
      expect(recs[2]!.parents).toEqual(["E11.6"]);
      const xa = recs.find((r) => r.code === "S00.00XA")!;
      expect(xa.description).toBe("Unspecified superficial injury of scalp, initial encounter");
      expect(xa.parents).toEqual(["S00.00"]);
    }
  });

  it("rejects other XML", async () => {
    await expect(collect(importIcd10cmTabularXml(chunked("<ICD10CM.index></ICD10CM.index>", 5)))).rejects.toThrow(
      /expected <ICD10CM.tabular>/,
    );
  });
});

describe("ICD-10-CM codes CSV with the alphabetic index as synonyms", () => {
  const codes = `Code,Description,ChapterID,SectionID
E11,Type 2 diabetes mellitus,4,E08-E13
E11.6,Type 2 diabetes mellitus with other specified complications,4,E08-E13
E11.65,Type 2 diabetes mellitus with hyperglycemia,4,E08-E13
R73.9,"Hyperglycemia, unspecified",18,R70-R79
`;
  const indexCsv = `RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code
1,D,0,"Diabetes, diabetic",,,(mellitus) (sugar),E11.9
2,D,1,type 2,,,,E11.9
3,D,2,with,,,,
4,D,3,hyperglycemia,,,,E11.65
5,H,0,"Hyperglycemia, hyperglycemic",,,(transient),R73.9
6,H,0,Hyperglycaemia,"Hyperglycemia",,,
`;
  const indexXml = `<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <letter><title>D</title>
    <mainTerm><title>Diabetes, diabetic <nemod>(mellitus) (sugar)</nemod></title><code>E11.9</code>
      <term level="1"><title>type 2</title><code>E11.9</code>
        <term level="2"><title>with</title>
          <term level="3"><title>hyperglycemia</title><code>E11.65</code></term>
        </term>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>`;

  it("joins index terms with their ancestors and attaches them to their codes", async () => {
    const fromCsv = await readIcd10cmIndexCsv(chunked(indexCsv, 9));
    expect(fromCsv.get("E1165")).toEqual(["Diabetes, diabetic, type 2 with hyperglycemia"]);
    expect(fromCsv.get("R739")).toEqual(["Hyperglycemia, hyperglycemic", "Hyperglycemia, hyperglycemic (transient)"]);
    const fromXml = await readIcd10cmIndexXml(chunked(indexXml, 13));
    expect(fromXml.get("E1165")).toEqual(["Diabetes, diabetic, type 2 with hyperglycemia"]);
    expect(fromXml.get("E119")).toContain("Diabetes, diabetic (mellitus) (sugar)");

    const recs = await collect(importIcd10cmCsv(chunked(codes, 10), fromCsv));
    expect(recs.map((r) => [r.code, r.parents])).toEqual([
      ["E11", []],
      ["E11.6", ["E11"]],
      ["E11.65", ["E11.6"]],
      ["R73.9", []],
    ]);
    expect(recs[2]!.synonyms).toEqual(["Diabetes, diabetic, type 2 with hyperglycemia"]);
    expect(recs[3]!.description).toBe("Hyperglycemia, unspecified");
  });

  it("names a missing column and an empty description", async () => {
    await expect(collect(importIcd10cmCsv(chunked("Code,Desc\nE11,x\n", 5)))).rejects.toThrow(
      /no 'Description' column/,
    );
    await expect(collect(importIcd10cmCsv(chunked("Code,Description\nE11,x\nE12,\n", 5)))).rejects.toThrow(
      /line 3: code E12 has an empty Description/,
    );
  });
});

describe("LOINC Loinc.csv", () => {
  const header =
    '"LOINC_NUM","COMPONENT","PROPERTY","TIME_ASPCT","SYSTEM","SCALE_TYP","METHOD_TYP","CLASS","VersionLastChanged","CHNG_TYPE","DefinitionDescription","STATUS","CONSUMER_NAME","CLASSTYPE","FORMULA","EXMPL_ANSWERS","SURVEY_QUEST_TEXT","SURVEY_QUEST_SRC","UNITSREQUIRED","RELATEDNAMES2","SHORTNAME","ORDER_OBS","HL7_FIELD_SUBFIELD_ID","EXTERNAL_COPYRIGHT_NOTICE","EXAMPLE_UNITS","LONG_COMMON_NAME","EXAMPLE_UCUM_UNITS","STATUS_REASON","STATUS_TEXT","CHANGE_REASON_PUBLIC","COMMON_TEST_RANK","COMMON_ORDER_RANK","HL7_ATTACHMENT_STRUCTURE","EXTERNAL_COPYRIGHT_LINK","PanelType","AskAtOrderEntry","AssociatedObservations","VersionFirstReleased","ValidHL7AttachmentRequest","DisplayName"';
  const row = (v: Record<string, string>) =>
    header
      .split(",")
      .map((h) => `"${(v[JSON.parse(h) as string] ?? "").replace(/"/g, '""')}"`)
      .join(",");
  const text = [
    header,
    row({
      LOINC_NUM: "2345-7",
      COMPONENT: "Glucose",
      PROPERTY: "MCnc",
      TIME_ASPCT: "Pt",
      SYSTEM: "Ser/Plas",
      SCALE_TYP: "Qn",
      STATUS: "ACTIVE",
      RELATEDNAMES2: "Gluc; Glucose level; SerPl",
      SHORTNAME: "Glucose SerPl-mCnc",
      LONG_COMMON_NAME: "Glucose [Mass/volume] in Serum or Plasma",
      DisplayName: "Glucose, Serum or Plasma",
      DefinitionDescription: "Measures glucose,\nthe main blood sugar",
    }),
    row({
      LOINC_NUM: "1-8",
      COMPONENT: "Acyclovir",
      PROPERTY: "SCnc",
      STATUS: "DEPRECATED",
      LONG_COMMON_NAME: "Acyclovir [Moles/volume] in Serum or Plasma",
    }),
  ].join("\r\n");

  it("uses the long common name, collects synonyms and keeps deprecated terms inactive", async () => {
    for (const size of SIZES) {
      const recs = await collect(importLoincCsv(chunked(text, size)));
      expect(recs).toHaveLength(2);
      expect(recs[0]).toMatchObject({
        code: "2345-7",
        description: "Glucose [Mass/volume] in Serum or Plasma",
        definition: "Measures glucose,\nthe main blood sugar",
        active: true,
      });
      expect(recs[0]!.synonyms).toEqual([
        "Glucose SerPl-mCnc",
        "Glucose, Serum or Plasma",
        "Gluc",
        "Glucose level",
        "SerPl",
      ]);
      expect(recs[1]).toMatchObject({ code: "1-8", active: false });
    }
  });

  it("rejects a CSV that is not Loinc.csv", async () => {
    await expect(collect(importLoincCsv(chunked("Code,Description\n1,x\n", 4)))).rejects.toThrow(
      /not a Loinc.csv file/,
    );
  });
});

describe("RxNorm RXNCONSO.RRF + RXNREL.RRF", () => {
  const conso = [
    "6809|ENG||||||2008|||6809|RXNORM|IN|6809|metformin||N|4096|",
    "6809|ENG||||||2009|||6809|MTHSPL|SU|X|METFORMIN||N|4096|",
    "860975|ENG||||||3001|||860975|RXNORM|SCD|860975|24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet||N|4096|",
    "860975|ENG||||||3002|||860975|RXNORM|SY|860975|metformin hydrochloride 500 MG 24HR Extended Release Oral Tablet||N|4096|",
    "860975|ENG||||||3003|||860975|RXNORM|PSN|860975|metFORMIN 500 MG 24HR Extended Release Oral Tablet||N|4096|",
    "999999|ENG||||||4001|||999999|RXNORM|SCD|999999|old drug 1 MG Oral Tablet||O|4096|",
  ].join("\n");
  const rel = [
    // "the relationship which RXCUI2 has to RXCUI1": 860975 has_ingredient 6809.
    "6809||CUI|RO|860975||CUI|has_ingredient|R1||RXNORM|RXNORM||||N||",
    "860975||CUI|RO|6809||CUI|ingredient_of|R2||RXNORM|RXNORM||||N||",
    "6809||CUI|RO|860975||CUI|has_ingredient|R3||MTHSPL|MTHSPL||||N||",
  ].join("\n");

  it("groups atoms by RXCUI, names the concept by its own term type and links ingredients as parents", async () => {
    for (const size of SIZES) {
      const parents = await readRxnormParents(chunked(rel, size));
      expect(parents.get("860975")).toEqual(["6809"]);
      expect(parents.has("6809")).toBe(false);
      const recs = await collect(importRxnormConso(chunked(conso, size), parents));
      expect(recs.map((r) => r.code)).toEqual(["6809", "860975", "999999"]);
      expect(recs[0]).toMatchObject({ description: "metformin", synonyms: [], parents: [], active: true });
      expect(recs[1]!.description).toBe("24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet");
      expect(recs[1]!.synonyms).toHaveLength(2);
      expect(recs[1]!.parents).toEqual(["6809"]);
      expect(recs[2]!.active).toBe(false);
    }
  });

  it("rejects rows with the wrong number of fields", async () => {
    await expect(collect(importRxnormConso(chunked("6809|ENG|metformin\n", 5)))).rejects.toThrow(/18 fields/);
  });
});

describe("SNOMED CT RF2 snapshots", () => {
  const descriptions = [
    "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId",
    "1\t20240901\t1\t900000000000207008\t38341003\ten\t900000000000003001\tHypertensive disorder, systemic arterial (disorder)\t900000000000448009",
    "2\t20240901\t1\t900000000000207008\t38341003\ten\t900000000000013009\tHypertensive disorder, systemic arterial\t900000000000448009",
    "3\t20240901\t1\t900000000000207008\t38341003\ten\t900000000000013009\tHigh blood pressure\t900000000000448009",
    "4\t20240901\t0\t900000000000207008\t38341003\ten\t900000000000013009\tRetired synonym\t900000000000448009",
    "5\t20240901\t1\t900000000000207008\t64572001\ten\t900000000000003001\tDisease (disorder)\t900000000000448009",
  ].join("\n");
  const relationships = [
    "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId",
    "10\t20240901\t1\t900000000000207008\t38341003\t64572001\t0\t116680003\t900000000000011006\t900000000000451002",
    "11\t20240901\t0\t900000000000207008\t38341003\t99999999\t0\t116680003\t900000000000011006\t900000000000451002",
    "12\t20240901\t1\t900000000000207008\t38341003\t72704001\t0\t363698007\t900000000000011006\t900000000000451002",
  ].join("\n");
  const language = [
    "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId",
    "a\t20240901\t1\t900000000000207008\t900000000000509007\t2\t900000000000548007",
    "b\t20240901\t1\t900000000000207008\t900000000000509007\t3\t900000000000549004",
  ].join("\n");

  it("groups active descriptions per concept; is-a rows give parents; the language refset picks the name", async () => {
    for (const size of SIZES) {
      const parents = await readSnomedParents(chunked(relationships, size));
      expect(parents.get("38341003")).toEqual(["64572001"]);
      const preferred = await readSnomedPreferred(chunked(language, size));
      const recs = await collect(importSnomedDescriptions(chunked(descriptions, size), { parents, preferred }));
      const htn = recs.find((r) => r.code === "38341003")!;
      expect(htn.description).toBe("Hypertensive disorder, systemic arterial");
      expect(htn.synonyms).toEqual(["High blood pressure", "Hypertensive disorder, systemic arterial (disorder)"]);
      expect(htn.parents).toEqual(["64572001"]);
      // Without a language refset the FSN without its semantic tag names the concept.
      const plain = await collect(importSnomedDescriptions(chunked(descriptions, size)));
      expect(plain.find((r) => r.code === "64572001")!.description).toBe("Disease");
    }
  });

  it("rejects a file without the RF2 header", async () => {
    await expect(collect(importSnomedDescriptions(chunked("conceptId\tterm\n1\tx\n", 4)))).rejects.toThrow(
      /not an RF2 description file/,
    );
  });
});

describe("HPO", () => {
  const obo = `format-version: 1.2
data-version: hp/releases/2025-01-16

[Term]
id: HP:0000118
name: Phenotypic abnormality
def: "A phenotypic abnormality." [HPO:probinson]

[Term]
id: HP:0001250
name: Seizure
alt_id: HP:0002279
def: "A seizure is an intermittent abnormality of nervous system physiology characterised by a transient occurrence of signs and/or symptoms due to abnormal excessive or synchronous neuronal activity in the brain." [https://orcid.org/0000-0002-0736-9199]
synonym: "Epileptic seizure" EXACT []
synonym: "Seizures" EXACT layperson [ORCID:0000-0001-5208-3432]
synonym: "Fits \\"spells\\"" RELATED []
is_a: HP:0000118 ! Phenotypic abnormality {source="PMID:1"}

[Term]
id: HP:0000003
name: obsolete Multicystic kidney dysplasia
is_obsolete: true

[Typedef]
id: part_of
name: part of
`;
  const json = JSON.stringify({
    graphs: [
      {
        id: "http://purl.obolibrary.org/obo/hp.json",
        nodes: [
          { id: "http://purl.obolibrary.org/obo/HP_0000118", lbl: "Phenotypic abnormality", type: "CLASS" },
          {
            id: "http://purl.obolibrary.org/obo/HP_0001250",
            lbl: "Seizure",
            type: "CLASS",
            meta: {
              definition: { val: "A seizure is an intermittent abnormality of nervous system physiology." },
              synonyms: [{ pred: "hasExactSynonym", val: "Epileptic seizure" }],
              basicPropertyValues: [
                { pred: "http://www.geneontology.org/formats/oboInOwl#hasAlternativeId", val: "HP:0002279" },
              ],
            },
          },
          {
            id: "http://purl.obolibrary.org/obo/HP_0000003",
            lbl: "obsolete Multicystic kidney dysplasia",
            type: "CLASS",
            meta: { deprecated: true },
          },
          { id: "http://purl.obolibrary.org/obo/UBERON_0000468", lbl: "multicellular organism", type: "CLASS" },
        ],
        edges: [
          {
            sub: "http://purl.obolibrary.org/obo/HP_0001250",
            pred: "is_a",
            obj: "http://purl.obolibrary.org/obo/HP_0000118",
          },
        ],
      },
    ],
  });

  it("reads hp.obo: synonyms with escapes, is_a, alt_id and obsolete terms", async () => {
    for (const size of SIZES) {
      const recs = await collect(importHpoObo(chunked(obo, size)));
      expect(recs.map((r) => [r.code, r.active])).toEqual([
        ["HP:0000118", true],
        ["HP:0001250", true],
        ["HP:0002279", false],
        ["HP:0000003", false],
      ]);
      const seizure = recs[1]!;
      expect(seizure.synonyms).toEqual(["Epileptic seizure", "Seizures", 'Fits "spells"']);
      expect(seizure.parents).toEqual(["HP:0000118"]);
      expect(seizure.definition).toMatch(/^A seizure is an intermittent/);
      expect(recs[2]!.parents).toEqual(["HP:0001250"]);
    }
  });

  it("reads hp.json (obographs) as a stream", async () => {
    for (const size of SIZES) {
      const recs = await collect(importHpoJson(chunked(json, size)));
      expect(recs.map((r) => [r.code, r.active, r.parents])).toEqual([
        ["HP:0000118", true, []],
        ["HP:0001250", true, ["HP:0000118"]],
        ["HP:0002279", false, ["HP:0001250"]],
        ["HP:0000003", false, []],
      ]);
      expect(recs[1]!.synonyms).toEqual(["Epileptic seizure"]);
    }
  });

  it("rejects files that are not HPO", async () => {
    await expect(collect(importHpoObo(chunked("format-version: 1.2\n", 4)))).rejects.toThrow(/no \[Term\] stanza/);
    await expect(collect(importHpoJson(chunked('{"graphs": []}', 4)))).rejects.toThrow(/not an obographs JSON file/);
  });
});

describe("CPT and custom delimited files", () => {
  it("reads the AMA's headerless code<TAB>descriptor file and a CSV with headers", async () => {
    const tsv =
      "99213\tOffice or other outpatient visit for the evaluation and management of an established patient\n99213\tOffice visit, est patient\n";
    const recs = await collect(importCptFile(chunked(tsv, 6), { delimiter: "\t" }));
    expect(recs).toHaveLength(1);
    expect(recs[0]!.code).toBe("99213");
    const csv = "CPT Code,Long Description\n99214,Office visit for an established patient\n";
    expect((await collect(importCptFile(chunked(csv, 6))))[0]).toMatchObject({ code: "99214" });
  });

  it("names the row of an empty description or a duplicate code, and a missing column", async () => {
    const opts = { codeCol: "code", descCol: "description" };
    await expect(collect(importDelimited(chunked("code,description\nA,x\nB,\n", 5), opts))).rejects.toThrow(
      /row 3: code 'B' has an empty description/,
    );
    await expect(collect(importDelimited(chunked("code,description\nA,x\nA,y\n", 5), opts))).rejects.toThrow(
      /row 3: duplicate code 'A' \(first on row 2\)/,
    );
    await expect(collect(importDelimited(chunked("id,description\nA,x\n", 5), opts))).rejects.toThrow(
      /no code column 'code'/,
    );
  });
});

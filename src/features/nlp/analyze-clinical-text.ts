import { type DateMention, extractDates } from "./extractors/extract-dates";
import { type Demographics, extractDemographics } from "./extractors/extract-demographics";
import { extractLabs } from "./extractors/extract-labs";
import { extractMedications, type MedicationMention } from "./extractors/extract-medications";
import { extractVitals } from "./extractors/extract-vitals";
import type { Measurement } from "./extractors/measurement";
import { analyzeText, type TextDocument } from "./text/segment";

export interface ClinicalFacts {
  document: TextDocument;
  vitals: Measurement[];
  labs: Measurement[];
  medications: MedicationMention[];
  dates: DateMention[];
  demographics: Demographics;
}

export interface ClinicalFactsOptions {
  /** Reference date for relative dates ("3 days ago"); ISO date. Default: today (UTC). */
  referenceDate?: string;
  /** More drug names to recognise (e.g. from a loaded RxNorm system). */
  drugNames?: Iterable<string>;
}

/** All structured extractors over one text (the input of text → FHIR). */
export function extractClinicalFacts(text: string, options: ClinicalFactsOptions = {}): ClinicalFacts {
  const document = analyzeText(text);
  return {
    document,
    vitals: extractVitals(document.utf8),
    labs: extractLabs(document.utf8),
    medications: extractMedications(document, options.drugNames ? { extraNames: options.drugNames } : {}),
    dates: extractDates(document.utf8, { referenceDate: options.referenceDate }),
    demographics: extractDemographics(document.utf8, { referenceDate: options.referenceDate }),
  };
}

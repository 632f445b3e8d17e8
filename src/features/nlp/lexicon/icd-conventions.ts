/**
 * Closed word classes for reading ICD-10 titles and Alphabetic Index terms (ICD-10-CM Official
 * Guidelines, Section I.A "Conventions"), written for Hearth. Used by concepts/icd-terms.ts.
 */

/**
 * Words that start a subterm read after its main term ("Diabetes, diabetic, with nephropathy" →
 * "diabetes with nephropathy"): the index's connecting words (Guidelines I.A.15 "With") and prepositions.
 */
export const ICD_CONNECTIVES: ReadonlySet<string> = new Set([
  "with",
  "without",
  "in",
  "due",
  "of",
  "from",
  "for",
  "after",
  "following",
  "during",
  "on",
  "to",
  "at",
  "by",
  "complicating",
  "associated",
  "involving",
  "affecting",
  "causing",
  "resulting",
]);

/**
 * Words an ICD term needs to be specific: "Other" and "specified" name the "other specified" residual
 * codes (Guidelines I.A.9.a), which a bare mention of the condition does not support. Elsewhere they are
 * optional qualifiers (lexicon/word-lists.ts OPTIONAL_WORDS).
 */
export const ICD_ESSENTIAL_WORDS: ReadonlySet<string> = new Set(["other", "specified"]);

/**
 * After "unspecified", the word says which detail is unspecified ("unspecified ear", "unspecified
 * trimester"): the pair is a qualifier as a whole. Body parts that are the concept itself ("Pain in
 * unspecified joint") are not listed: there only "unspecified" goes.
 */
export const ICD_UNSPECIFIED_DETAIL: readonly string[] = [
  "site",
  "sites",
  "part",
  "side",
  "laterality",
  "ear",
  "eye",
  "upper limb",
  "lower limb",
  "limb",
  "upper extremity",
  "lower extremity",
  "extremity",
  "trimester",
  "severity",
  "organism",
  "type",
  "behavior",
  "control",
  "stage",
  "weeks of gestation",
  "region",
  "species",
];

/**
 * Words that cannot stand alone as an ICD term (in addition to lexicon/word-lists.ts GENERIC_SINGLE_WORDS,
 * MODIFIER_WORDS and QUALIFIER_WORDS): time and status qualifiers the index lists as main terms ("Old",
 * "History", "Healed") and generic heads under which the index groups its subterms ("Lesion",
 * "Deficiency", "Encounter"). A term made only of such words names no condition: "58-year-old" does
 * not mention I25.2 Old myocardial infarction.
 */
export const ICD_NON_STANDALONE_WORDS: ReadonlySet<string> = new Set([
  // time and status
  "old",
  "previous",
  "prior",
  "past",
  "former",
  "healed",
  "remote",
  "history",
  "personal",
  "current",
  "status",
  "post",
  "sequela",
  "residual",
  "complication",
  "complicated",
  "uncomplicated",
  "long-term",
  "term",
  "use",
  "type",
  "form",
  "stage",
  "grade",
  "class",
  "phase",
  "state",
  "episode",
  "attack",
  "fit",
  // generic heads of the index
  "lesion",
  "defect",
  "deficiency",
  "deficient",
  "insufficiency",
  "excess",
  "failure",
  "disturbance",
  "dysfunction",
  "impairment",
  "infection",
  "inflammation",
  "injury",
  "reaction",
  "effect",
  "encounter",
  "admission",
  "examination",
  "care",
  "therapy",
  "maintenance",
  "carrier",
  "contact",
  "exposure",
  "observation",
  "screening",
  "specified",
  "other",
]);

/**
 * Word endings of adjectives and participles ("irritable", "infected", "myasthenic" is left out: -ic
 * also ends nouns like "colic" and "panic"). A one-word index term with such an ending qualifies a
 * condition named elsewhere ("Irritable, irritability, without diarrhea" is about the bowel).
 */
export const ADJECTIVE_ENDING = /(?:[^e]ed|able|ible|ous|ive|al|ary|ful|less)$/;

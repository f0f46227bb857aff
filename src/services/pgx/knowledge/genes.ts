/**
 * Gene rule tables (data/genes/<GENE>.json) and allele look-up.
 */
import { loadJson } from '../../../util/data-file.js';
import { GENES, type AlleleFunction, type AlleleGroup, type GeneSymbol, type GeneTable } from './types.js';

export interface AlleleInfo {
  readonly name: string;
  readonly function: AlleleFunction;
  /** Activity value of one gene copy (activity-score genes); null when none is assigned. */
  readonly activityValue: number | null | undefined;
}

export interface LoadedGene {
  readonly table: GeneTable;
  /** Normalised name or alias -> allele. */
  readonly index: ReadonlyMap<string, AlleleInfo>;
  readonly alleles: readonly AlleleInfo[];
}

/** Case-, space- and symbol-insensitive key for allele names ('×' -> 'x', '≥' -> '>=', 'variant(T)' = 'variant (T)'). */
export function alleleKey(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[×✕]/g, 'x')
    .replace(/≥/g, '>=')
    .replace(/\s*\(\s*/g, ' (')
    .replace(/\s*\)/g, ')')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function buildGene(table: GeneTable): LoadedGene {
  const index = new Map<string, AlleleInfo>();
  const alleles: AlleleInfo[] = [];
  const add = (key: string, info: AlleleInfo): void => {
    const k = alleleKey(key);
    const prior = index.get(k);
    if (prior && prior.name !== info.name) {
      throw new Error(`${table.gene}: allele name or alias '${key}' is used for both ${prior.name} and ${info.name}`);
    }
    index.set(k, info);
  };
  for (const group of table.alleles as readonly AlleleGroup[]) {
    for (const entry of group.alleles) {
      const name = typeof entry === 'string' ? entry : entry.name;
      const info: AlleleInfo = { name, function: group.function, activityValue: group.activityValue };
      alleles.push(info);
      add(name, info);
      if (typeof entry !== 'string') {
        for (const alias of entry.aliases) {
          add(alias, info);
          add(`${name} (${alias})`, info); // CPIC/PharmCAT display form, e.g. 'c.1905+1G>A (*2A)'
        }
      }
    }
  }
  // Single-SNP pseudo-alleles (SLCO1B1 rs4149056 T/C). VKORC1's letters map onto its two named alleles.
  if (table.snp) {
    for (const spec of Object.values(table.snp.alleles)) {
      if (!index.has(alleleKey(spec.allele))) {
        if (!spec.function) throw new Error(`${table.gene}: SNP allele ${spec.allele} needs a function`);
        const info: AlleleInfo = { name: spec.allele, function: spec.function, activityValue: undefined };
        alleles.push(info);
        add(spec.allele, info);
      }
    }
  }
  return { table, index, alleles };
}

let cache: Map<GeneSymbol, LoadedGene> | undefined;

function loadAll(): Map<GeneSymbol, LoadedGene> {
  if (!cache) {
    cache = new Map();
    for (const gene of GENES) {
      const table = loadJson<GeneTable>(import.meta.url, `./data/genes/${gene}.json`);
      if (table.gene !== gene) throw new Error(`data/genes/${gene}.json declares gene ${table.gene}`);
      cache.set(gene, buildGene(table));
    }
  }
  return cache;
}

/** Canonical gene symbol for user text ('cyp2c19' -> 'CYP2C19'), or undefined. */
export function toGeneSymbol(text: string): GeneSymbol | undefined {
  const t = text.trim().toUpperCase();
  return (GENES as readonly string[]).includes(t) ? (t as GeneSymbol) : undefined;
}

export function isGeneSymbol(text: string): text is GeneSymbol {
  return (GENES as readonly string[]).includes(text);
}

export function geneData(gene: GeneSymbol): LoadedGene {
  const g = loadAll().get(gene);
  if (!g) throw new Error(`No rule table for ${gene}`);
  return g;
}

/** The gene's rule table as loaded from data/genes/<GENE>.json. */
export function geneTable(gene: GeneSymbol): GeneTable {
  return geneData(gene).table;
}

/** Allele by name or alias (case-insensitive), or undefined. */
export function lookupAllele(gene: GeneSymbol, name: string): AlleleInfo | undefined {
  return geneData(gene).index.get(alleleKey(name));
}

/** Every allele in the gene's table (canonical names). */
export function allelesOf(gene: GeneSymbol): readonly AlleleInfo[] {
  return geneData(gene).alleles;
}

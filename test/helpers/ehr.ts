import type { Bundle, FhirResource } from 'fhir/r4.js';
import { renderTemplate } from '../../src/cds/prefetch.js';

/**
 * Prefetch as an EHR builds it: each template rendered for the patient and searched on the
 * EHR's FHIR server, following paging so every slot is complete; a read that finds nothing is null.
 */
export async function ehrPrefetch(fhirBaseUrl: string, templates: Readonly<Record<string, string>>, patientId: string): Promise<Record<string, FhirResource | null>> {
  const out: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(templates)) {
    const r = renderTemplate(template, { patientId });
    if (!r.ok) throw new Error(r.reason);
    const res = await fetch(`${fhirBaseUrl}/${r.url}`);
    if (res.status === 404) {
      out[key] = null;
      continue;
    }
    let bundle = (await res.json()) as FhirResource;
    while (bundle.resourceType === 'Bundle' && bundle.link?.some((l) => l.relation === 'next')) {
      const next = (await (await fetch(bundle.link.find((l) => l.relation === 'next')!.url)).json()) as Bundle;
      bundle = { ...next, entry: [...(bundle.entry ?? []), ...(next.entry ?? [])] };
    }
    out[key] = bundle;
  }
  return out;
}

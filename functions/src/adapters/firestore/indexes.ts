import type { QueryPlan } from '../../domain/supervision/session-listing.js';

/** A composite index as `firestore.indexes.json` writes it. */
export interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: (
    { fieldPath: string; order: 'ASCENDING' | 'DESCENDING' } | { fieldPath: string; arrayConfig: 'CONTAINS' }
  )[];
}

/** The index a planned query needs: equality fields, the array filter, then the order (document id implied). */
export function indexFor(plan: QueryPlan): CompositeIndex {
  const fields: CompositeIndex['fields'] = plan.equals.map(([fieldPath]) => ({
    fieldPath,
    order: 'ASCENDING' as const,
  }));
  if (plan.array) fields.push({ fieldPath: plan.array.field, arrayConfig: 'CONTAINS' });
  for (const [fieldPath, direction] of plan.orderBy) {
    if (fieldPath === '__name__') continue;
    fields.push({ fieldPath, order: direction === 'asc' ? 'ASCENDING' : 'DESCENDING' });
  }
  return { collectionGroup: plan.collection, queryScope: 'COLLECTION', fields };
}

export const indexKey = (index: CompositeIndex) =>
  `${index.collectionGroup}:${index.fields.map((f) => ('order' in f ? `${f.fieldPath} ${f.order}` : `${f.fieldPath} CONTAINS`)).join(',')}`;

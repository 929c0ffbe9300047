// A model's stored columns as a SELECT list, so raw SQL can read rows the model then builds.
import type { Model, ModelStatic } from 'sequelize';

/** `alias."column" AS "<prefix>attribute"` for each stored (non-virtual) attribute. */
export function selectList(model: ModelStatic<Model>, alias: string, prefix = ''): string {
  return Object.entries(model.getAttributes())
    .filter(([, attribute]) => (attribute.type as { key?: string }).key !== 'VIRTUAL')
    .map(([name, attribute]) => `${alias}."${attribute.field ?? name}" AS "${prefix}${name}"`)
    .join(', ');
}

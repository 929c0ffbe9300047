// The hierarchy as a file: every unit the Organisation page shows, in its tree order (regions,
// then divisions, then facilities, by name, each followed by what lies below it), with its path.
// The tree is the page's own (services/organisation/hierarchy.ts builds it in memory: units are
// few), so the file and the page cannot differ.
import type { Client } from '../../models/index.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { tableDownload } from '../exports/tables.ts';
import { hierarchyTree, levelLabels, type TreeNode } from './hierarchy.ts';

export const HIERARCHY_EXPORT_COLUMNS: TableColumn[] = [
  { header: 'Level', width: 12 }, { header: 'Name', width: 30 }, { header: 'Code', width: 12 }, { header: 'Path', width: 60 },
  { header: 'Address', width: 36 }, { header: 'Time zone', width: 22 }, { header: 'Active', width: 8 }, { header: 'In your scope', width: 14 },
  { header: 'Unit id', width: 38 },
];

function* rowsOf(nodes: TreeNode[], labels: Record<string, string>, client: Client, path: string[] = []): Generator<CellValue[]> {
  for (const n of nodes) {
    const here = [...path, n.unit.name];
    yield [
      labels[n.unit.kind], n.unit.name, n.unit.code, here.join(' › '), n.unit.address,
      n.unit.kind === 'facility' ? n.unit.timeZone ?? client.timeZone : null, n.unit.active ? 'Yes' : 'No', n.inScope ? 'Yes' : 'No', n.unit.id,
    ];
    yield* rowsOf(n.children, labels, client, here);
  }
}

export async function hierarchyExport(client: Client, options: { includeInactive: boolean }, format: ExportFormat): Promise<StreamedTable> {
  const tree = await hierarchyTree(options);
  const labels = levelLabels(client);
  return tableDownload(client, format, {
    what: ['organisation'],
    sheetName: 'Organisation',
    columns: HIERARCHY_EXPORT_COLUMNS,
    rows: async function* () {
      yield* rowsOf(tree, labels, client);
    },
    action: 'hierarchy.exported',
    entityType: 'org_unit',
    filters: { inactive: options.includeInactive ? '1' : undefined },
  });
}

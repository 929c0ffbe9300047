// The users list as a file: every user the list shows (the actor's visibility rule, its search
// and filters), in its order, from a cursor.
import type { Client } from '../../models/index.ts';
import { RANK_LABELS } from '../../models/user.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { mapRows, tableDownload } from '../exports/tables.ts';
import { type UserListFilter, type UserListRow, visibleUserRows } from './users.ts';

export const USER_EXPORT_COLUMNS: TableColumn[] = [
  { header: 'Name', width: 28 }, { header: 'E-mail', width: 34 }, { header: 'Rank', width: 14 }, { header: 'Status', width: 12 },
  { header: 'Scope', width: 50 }, { header: 'User id', width: 38 },
];

/** The scope as the list words it. */
export const scopeText = (u: UserListRow): string => (u.scope_whole || u.rank === 'administrator' ? 'Whole organisation' : u.scope_names.join(', ') || '—');

const userCells = (u: UserListRow): CellValue[] => [u.name, u.email, RANK_LABELS[u.rank], u.status, scopeText(u), u.id];

export function usersExport(client: Client, filter: Omit<UserListFilter, 'page'>, format: ExportFormat): StreamedTable {
  return tableDownload(client, format, {
    what: ['users'],
    sheetName: 'Users',
    columns: USER_EXPORT_COLUMNS,
    rows: () => mapRows(visibleUserRows(filter), userCells),
    action: 'users.exported',
    entityType: 'users',
    filters: filter,
  });
}

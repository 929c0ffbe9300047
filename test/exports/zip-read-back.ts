// Reading ZIP downloads back as an unzip program would (jszip, already installed for exceljs):
// the entries' names and bytes, and the workbook inside opened with exceljs.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { Agent } from '../support/http.ts';
import { getBytes } from './read-back.ts';

export interface ZipRead {
  names: string[];
  bytes: (name: string) => Promise<Buffer>;
  workbook: (name: string) => Promise<ExcelJS.Workbook>;
}

export async function readZip(body: Buffer): Promise<ZipRead> {
  const zip = await JSZip.loadAsync(body, { checkCRC32: true });
  const names = Object.values(zip.files).filter((f) => !f.dir).map((f) => f.name).sort();
  const bytes = async (name: string) => {
    const file = zip.file(name);
    expect(file, `${name} in the archive`).to.not.equal(null);
    return file!.async('nodebuffer');
  };
  return {
    names,
    bytes,
    async workbook(name: string) {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load((await bytes(name)) as unknown as ArrayBuffer);
      return book;
    },
  };
}

/** A ZIP download, checked for its type and attachment name. */
export async function zipDownload(agent: Agent, url: string, fileName: RegExp): Promise<ZipRead> {
  const res = await getBytes(agent, url).expect(200);
  expect(res.headers['content-type'], url).to.equal('application/zip');
  expect(res.headers['content-disposition'], url).to.match(new RegExp(`^attachment; filename=${fileName.source}$`));
  expect(res.headers['x-content-type-options']).to.equal('nosniff');
  return readZip(res.body as Buffer);
}

/** Every cell of a workbook as text, for looking for what must not be there. */
export function everyCell(book: ExcelJS.Workbook): string[] {
  const cells: string[] = [];
  book.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => {
    const value = cell.value;
    cells.push(value instanceof Date ? value.toISOString() : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
  })));
  return cells;
}

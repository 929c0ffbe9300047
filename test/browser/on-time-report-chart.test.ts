// The on-time report in headless Chromium: as an Administrator the monthly trend is drawn by
// Chart.js (served from this origin) on a canvas of non-zero size, with no console or CSP errors;
// without JavaScript the chart stays hidden and the tables carry the numbers. At 375 px the page
// does not scroll sideways.
import { expect } from 'chai';
import { reportFixture } from '../reports/report-fixture.ts';
import { type BrowserRig, signedInPage, startBrowserRig } from './browser.ts';

describe('browser: the on-time report and its trend chart', function () {
  this.timeout(60_000);
  let rig: BrowserRig | undefined;
  before(async function () {
    rig = await startBrowserRig(this);
  });
  after(async () => {
    await rig?.close();
  });

  it('draws the chart with no console or CSP errors, and shows the tables without JavaScript', async () => {
    const fx = await reportFixture();
    const { page, problems } = await signedInPage(rig!, fx.admin.email, fx.admin.password);
    const chartScript = page.waitForResponse((r) => r.url().endsWith('/assets/chart.js/chart.umd.js'));
    await page.goto('/reports/on-time');
    expect((await chartScript).status()).to.equal(200);
    const canvas = page.locator('canvas#trend-chart');
    await canvas.waitFor({ state: 'visible' });
    // Chart.js has drawn: it registered a chart on the canvas and sized it to its box.
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('#trend-chart');
      const chart = c && (window as unknown as { Chart: { getChart(el: HTMLCanvasElement): unknown } }).Chart.getChart(c);
      return Boolean(chart) && c!.width > 0 && c!.height > 0;
    });
    const box = await canvas.boundingBox();
    expect(box!.width).to.be.greaterThan(100);
    expect(box!.height).to.be.greaterThan(100);
    // Something was painted: not every pixel is transparent.
    const painted = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#trend-chart')!;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    });
    expect(painted).to.equal(true);
    await page.locator('#trend-table').waitFor();
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    await canvas.waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(375);
    // Every report fits a phone's width (wide tables scroll inside their labelled region).
    for (const path of ['/reports', '/reports/open', '/reports/upcoming', '/reports/completed', '/reports/plan-summary', '/reports/assignments', '/reports/documents']) {
      await page.goto(path);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).to.be.at.most(375);
    }
    expect(problems).to.deep.equal([]);

    const plain = await signedInPage(rig!, fx.admin.email, fx.admin.password, undefined, { javaScriptEnabled: false });
    await plain.page.goto('/reports/on-time');
    expect(await plain.page.locator('#trend-table tbody tr').count()).to.be.greaterThan(0);
    expect(await plain.page.locator('#report-table tbody tr').count()).to.equal(3);
    expect(await plain.page.locator('canvas#trend-chart').isVisible()).to.equal(false);
    expect(plain.problems).to.deep.equal([]);
  });
});

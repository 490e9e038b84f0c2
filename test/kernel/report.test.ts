// report.html of real runs, opened in real headless Chromium (Debian's, driven by
// playwright-core): the topology SVG is there, every expectation can be selected (mouse and
// keyboard), the selected walk lights the devices the packet crossed in order, a truth-table
// cell draws its path, a failing run (w1 without its FDB entry for w2) ends the cross-node walk
// red at w1/flannel.1, "last seen here". The page makes no network request. Screenshots are
// kept in test-results/report/. capture.pcapng of the run is read back by tshark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { guardLeftovers, lab, ROOT, sh } from './helpers.js';
import { vtepMac } from '../../src/plan/cni/flannel-vxlan.js';
import { FLANNEL_CROSS_NODE_PATH } from '../../src/topology/testing/labs.js';

const tmp = guardLeftovers('wirelab-report-');
const ARTEFACTS = join(ROOT, 'test-results', 'report');
const CROSS_NODE = 'cross-node pod-a -> pod-d is VXLAN-encapsulated, without NAT';

let browser: BrowserContext;
let profile: string;
beforeAll(async () => {
  mkdirSync(ARTEFACTS, { recursive: true });
  // A fresh profile each run (playwright takes it as the persistent context's directory).
  profile = mkdtempSync(join(tmpdir(), 'wirelab-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1500, height: 1100 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Opens a report page; every request the page makes is recorded. */
async function open(file: string): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body.ready');
  expect(errors).toEqual([]);
  return { page, requests };
}

/** The page loaded itself and nothing else: no script, style, font or image from anywhere. */
function expectNoNetwork(file: string, requests: string[]): void {
  expect(requests).toEqual([pathToFileURL(file).href]);
  const html = readFileSync(file, 'utf8');
  expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
  expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc="|url\(/);
}

interface Drawn {
  markers: { point: string; n: number; state: string; lastSeen: boolean }[];
  /** The devices lit on the walk, in walk order, as capture points. */
  walk: string[];
}

async function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const markers = [...document.querySelectorAll('#walk-overlay g.marker')].map((m) => ({
      point: m.getAttribute('data-point')!,
      n: Number(m.getAttribute('data-n')),
      state: m.getAttribute('data-state')!,
      lastSeen: m.classList.contains('last-seen'),
    }));
    markers.sort((a, b) => a.n - b.n);
    const walk = (document.querySelector('#topology svg')!.getAttribute('data-walk') ?? '')
      .split(' ')
      .filter(Boolean)
      .map((id) => {
        const el = document.getElementById(id)!;
        if (!el.classList.contains('on-walk')) throw new Error(`${id} is on the walk but not lit`);
        return el.querySelector('title')!.textContent!;
      });
    return { markers, walk };
  });
}

const options = (page: Page) => page.locator('#expectations [role=option]');

async function selectByName(page: Page, name: string): Promise<void> {
  await options(page).filter({ hasText: name }).click();
  await expect.poll(() => options(page).filter({ hasText: name }).getAttribute('aria-selected')).toBe('true');
}

describe('report.html', () => {
  it('flannel-vxlan: the topology, every expectation selectable, the cross-node walk lit hop by hop', async () => {
    const out = tmp();
    const r = await lab(['run', 'flannel-vxlan', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = join(out, 'report.html');
    expect(r.stdout).toContain(`Report: ${file}`);
    const { page, requests } = await open(file);
    expect(await page.locator('#topology svg g.node.device').count()).toBeGreaterThan(20);
    expect(await page.locator('#topology svg g.cluster').count()).toBe(7); // underlay, 3 nodes, 3 pods

    // Every expectation can be selected, by mouse and by keyboard, and shows its panel.
    const n = await options(page).count();
    expect(n).toBe(6);
    for (let i = 0; i < n; i++) {
      await options(page).nth(i).click();
      await expect.poll(() => page.locator(`#panel-${i + 1}`).isVisible()).toBe(true);
      expect((await drawn(page)).markers.length).toBeGreaterThan(0);
    }
    await options(page).first().focus();
    await page.keyboard.press('ArrowDown');
    expect(await options(page).nth(1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    expect(
      await options(page)
        .nth(n - 1)
        .getAttribute('aria-selected'),
    ).toBe('true');
    await page.keyboard.press('Home');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('opt-1');

    await selectByName(page, CROSS_NODE);
    const d = await drawn(page);
    expect(d.markers.map((m) => [m.n, m.point, m.state])).toEqual([
      [1, 'pod-a/eth0', 'pass'],
      [2, 'w1/cni0', 'pass'],
      [3, 'w1/flannel.1', 'pass'],
      [4, 'w1/eth0', 'pass'],
      [5, 'underlay/br0', 'pass'],
      [6, 'w2/flannel.1', 'pass'],
      [7, 'pod-d/eth0', 'pass'],
    ]);
    expect(d.walk).toEqual(FLANNEL_CROSS_NODE_PATH);
    // The VXLAN overlay between the two flannel.1 devices is lit; no link is dashed red.
    expect(await page.locator('g.edge.tunnel.walk-seen').count()).toBe(1);
    expect(await page.locator('g.edge.walk-missed').count()).toBe(0);
    // The panel shows the outer and inner headers at w1/eth0: VXLAN VNI 1 over UDP 8472.
    const eth0 = page.locator('#panel-2 tr[data-point="w1/eth0"]');
    await expect.poll(() => eth0.textContent()).toMatch(/UDP \(outer\).*dport 8472.*VXLAN.*vni 1.*IPv4 \(inner\).*src 10\.8\.0\.5.*dst 10\.8\.1\.10/);
    await page.screenshot({ path: join(ARTEFACTS, 'flannel-vxlan.png'), fullPage: true });
    expectNoNetwork(file, requests);

    // capture.pcapng: one interface per capture point, as Wireshark names them.
    const names = execFileSync('tshark', ['-r', join(out, 'capture.pcapng'), '-T', 'fields', '-e', 'frame.interface_name'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(new Set(names.trim().split('\n'))).toEqual(
      new Set(['pod-a/eth0', 'pod-b/eth0', 'pod-d/eth0', 'underlay/br0', 'w1/cni0', 'w1/eth0', 'w1/flannel.1', 'w2/flannel.1']),
    );
  });

  it('netpol-backend: each truth table selectable, its cells coloured, a cell drawn from sender to target', async () => {
    const out = tmp();
    const r = await lab(['run', 'netpol-backend', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = join(out, 'report.html');
    const { page, requests } = await open(file);
    expect(await page.locator('#topology svg').count()).toBe(1);
    expect(await options(page).count()).toBe(2);
    await options(page).nth(1).click();
    await expect.poll(() => page.locator('#panel-2 table.truth').isVisible()).toBe(true);
    // 3 x 4 cells, every one as the lab file says (green).
    expect(await page.locator('#panel-2 td.right').count()).toBe(12);
    await options(page).nth(0).click();
    expect(await page.locator('#panel-1 td.right').count()).toBe(6);

    // frontend -> backend:8080 is reachable: a green walk over w1's cni0.
    await page.locator('#panel-1 .cell[data-cell="0,0"]').click();
    let d = await drawn(page);
    expect(d.markers.map((m) => [m.n, m.point, m.state])).toEqual([
      [1, 'frontend/eth0', 'pass'],
      [2, 'backend/eth0', 'pass'],
    ]);
    expect(d.walk).toEqual(['frontend/eth0', expect.stringMatching(/^w1\/veth/), 'w1/cni0', expect.stringMatching(/^w1\/veth/), 'backend/eth0']);
    expect(await page.locator('g.edge.walk-seen').count()).toBe(4);
    // database -> backend:8080 is blocked: across the underlay, drawn dashed red.
    await page.locator('#panel-1 .cell[data-cell="2,0"]').click();
    d = await drawn(page);
    expect(d.markers.map((m) => [m.point, m.state])).toEqual([
      ['database/eth0', 'pass'],
      ['backend/eth0', 'fail'],
    ]);
    expect(d.walk).toContain('w2/flannel.1');
    expect(d.walk).toContain('underlay/br0');
    expect(await page.locator('g.edge.walk-seen').count()).toBe(0);
    expect(await page.locator('g.edge.walk-missed').count()).toBeGreaterThan(8);
    await page.screenshot({ path: join(ARTEFACTS, 'netpol-backend.png'), fullPage: true });
    expectNoNetwork(file, requests);
  });

  it('a failing run (w1 without its FDB entry for w2): the cross-node walk ends red at w1/flannel.1, last seen here', async () => {
    const out = tmp();
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    try {
      const mac = vtepMac('flannel-vxlan', 'w2');
      sh(['bridge', '-n', 'wl-flannel-vxlan.w1', 'fdb', 'del', mac, 'dev', 'flannel.1', 'dst', '10.10.20.5', 'self']);
      const r = await lab(['test', 'flannel-vxlan', '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(`Report: ${join(out, 'report.html')}`);
    } finally {
      expect((await lab(['down', 'flannel-vxlan'])).code).toBe(0);
    }
    const file = join(out, 'report.html');
    expect(existsSync(file)).toBe(true);
    const { page, requests } = await open(file);
    // The page opens on the first failed expectation: the cross-node one.
    expect(await page.locator('#expectations [aria-selected=true]').textContent()).toContain(CROSS_NODE);
    const d = await drawn(page);
    expect(d.markers.map((m) => [m.n, m.point, m.state, m.lastSeen])).toEqual([
      [1, 'pod-a/eth0', 'pass', false],
      [2, 'w1/cni0', 'pass', false],
      [3, 'w1/flannel.1', 'fail', true],
      [4, 'w1/eth0', 'missed', false],
      [5, 'underlay/br0', 'missed', false],
      [6, 'w2/flannel.1', 'missed', false],
      [7, 'pod-d/eth0', 'missed', false],
    ]);
    const red = page.locator('#walk-overlay g.marker.last-seen');
    expect(await red.getAttribute('data-point')).toBe('w1/flannel.1');
    expect(await red.locator('text.last-seen-label').textContent()).toBe('last seen here');
    expect(await red.locator('circle').evaluate((c) => getComputedStyle(c).fill)).toBe('rgb(198, 40, 40)');
    // Seen as far as flannel.1 (solid green), expected beyond it (dashed red).
    expect(d.walk.slice(0, 5)).toEqual(FLANNEL_CROSS_NODE_PATH.slice(0, 5));
    expect(await page.locator('g.edge.walk-seen').count()).toBe(4);
    expect(await page.locator('g.edge.walk-missed').count()).toBeGreaterThan(4);
    await expect.poll(() => page.locator('#panel-2 .message').textContent()).toContain('packet last seen at w1/flannel.1');
    await page.screenshot({ path: join(ARTEFACTS, 'flannel-vxlan-fdb-sabotage.png'), fullPage: true });
    // Printed, every expectation's details follow the drawing.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.panel:visible').count()).toBe(6);
    expect(await page.locator('nav').isVisible()).toBe(false);
    expectNoNetwork(file, requests);
  });
});

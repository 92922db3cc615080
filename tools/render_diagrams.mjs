#!/usr/bin/env node
// Render every diagram in bpmn/ with bpmn-js in headless Chromium, straight from the file:
//
//   docs/diagrams/<name>.svg, <name>.png   the whole diagram at full size, for designers on screen
//   docs/diagrams/print/<name>-NN.svg      A4 landscape pages, readable at 100% (no text under 9 pt):
//                                          -00 is a map of the pages, -01.. are tiles of the diagram
//   docs/diagrams/print/<name>.pdf         the same pages as one PDF, to print
//   docs/diagrams/tijdlijn_*.png           the timelines of tools/journey_pictures.py, at 150 dpi
//
// and docs/diagrams/SOURCES.sha256: the sha256 of every source (bpmn/*.bpmn, the timeline SVGs) and
// of every file written, so a test can tell without a browser when a picture is out of step.
//
//   node tools/render_diagrams.mjs            (CHROMIUM=/path/to/chromium to override)

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'bpmn');
const outDir = path.join(root, 'docs', 'diagrams');
const printDir = path.join(outDir, 'print');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const viewerJs = require.resolve('bpmn-js/dist/bpmn-viewer.production.min.js');
const css = ['diagram-js.css', 'bpmn-js.css'].map((f) => require.resolve(`bpmn-js/dist/assets/${f}`));

// The printed page: A4 landscape in pt. bpmn-js draws labels at 11 and 12 px, so at 0.85 pt per
// diagram unit the smallest text is 9.35 pt. Neighbouring tiles overlap by OVERLAP units, so every
// task, event and label lies whole on at least one page.
const PAGE = { w: 842, h: 595, margin: 20, top: 40, bottom: 28 };
const SCALE = 0.85;
const MAX_SCALE = 1.0;
const OVERLAP = 130;

const html = `<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;background:#fff}#canvas{width:1600px;height:900px}</style></head>
<body><div id="canvas"></div></body></html>`;

const sha = (data) => createHash('sha256').update(data).digest('hex');
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function importDiagram(tab, xml) {
  return tab.evaluate(async (diagramXml) => {
    // eslint-disable-next-line no-undef
    const viewer = new BpmnJS({ container: '#canvas' });
    const { warnings } = await viewer.importXML(diagramXml);
    const canvas = viewer.get('canvas');
    const boxes = {};
    viewer.get('elementRegistry').forEach((el) => {
      if (el.waypoints) {
        const xs = el.waypoints.map((p) => p.x);
        const ys = el.waypoints.map((p) => p.y);
        boxes[el.id] = [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
      } else if (el.width !== undefined) {
        boxes[el.id] = [el.x, el.y, el.width, el.height];
      }
    });
    const { svg } = await viewer.saveSVG();
    window.viewer = viewer;
    return { warnings: warnings.map((w) => w.message), box: canvas.viewbox().inner, svg, boxes };
  }, xml);
}

// The pages of one diagram: cut its box into the fewest tiles of at most one printable area each.
function layout(box) {
  const areaW = PAGE.w - 2 * PAGE.margin;
  const areaH = PAGE.h - PAGE.top - PAGE.bottom;
  const x0 = box.x - 10;
  const y0 = box.y - 10;
  const w = box.width + 20;
  const h = box.height + 20;
  const fit = Math.min(areaW / w, areaH / h, MAX_SCALE);
  if (fit >= SCALE) return { scale: fit, tiles: [{ row: 0, col: 0, x: x0, y: y0, w: areaW / fit, h: areaH / fit }] };
  const tw = areaW / SCALE;
  const th = areaH / SCALE;
  const cols = Math.max(1, Math.ceil((w - OVERLAP) / (tw - OVERLAP)));
  const rows = Math.max(1, Math.ceil((h - OVERLAP) / (th - OVERLAP)));
  // spread the tiles evenly over the diagram: equal overlaps, at least OVERLAP
  const stepX = cols > 1 ? (w - tw) / (cols - 1) : 0;
  const stepY = rows > 1 ? (h - th) / (rows - 1) : 0;
  const tiles = [];
  for (let row = 0; row < rows; row += 1) {
    for (let col = 0; col < cols; col += 1) {
      tiles.push({ row, col, x: x0 + col * stepX, y: y0 + row * stepY, w: tw, h: th });
    }
  }
  return { scale: SCALE, tiles, rows, cols };
}

// One page's picture: the saved SVG's drawing, without the elements and texts that lie outside the tile.
async function tileBody(tab, svg, boxes, tile, keepText) {
  return tab.evaluate(
    (source, elementBoxes, t, withText) => {
      const margin = 20;
      const outside = (b) => b[0] > t.x + t.w + margin || b[0] + b[2] < t.x - margin || b[1] > t.y + t.h + margin || b[1] + b[3] < t.y - margin;
      const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
      for (const g of [...doc.querySelectorAll('g.djs-element[data-element-id]')]) {
        const b = elementBoxes[g.getAttribute('data-element-id')];
        if (b && outside(b)) g.remove();
      }
      for (const hit of [...doc.querySelectorAll('.djs-hit, .djs-outline')]) hit.remove();
      // lay the drawing out in diagram coordinates to measure its texts; drop those off the tile
      const holder = document.createElement('div');
      holder.style.cssText = 'position:absolute;left:0;top:0;visibility:hidden';
      const live = document.importNode(doc.documentElement, true);
      live.removeAttribute('viewBox');
      holder.appendChild(live);
      document.body.appendChild(holder);
      for (const text of [...live.querySelectorAll('text')]) {
        const b = text.getBBox();
        const m = text.getCTM();
        const xs = [b.x, b.x + b.width].flatMap((x) => [b.y, b.y + b.height].map((y) => m.a * x + m.c * y + m.e));
        const ys = [b.x, b.x + b.width].flatMap((x) => [b.y, b.y + b.height].map((y) => m.b * x + m.d * y + m.f));
        const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
        const off = box[0] > t.x + t.w || box[0] + box[2] < t.x || box[1] > t.y + t.h || box[1] + box[3] < t.y;
        if (off || !withText) text.remove();
      }
      holder.remove();
      const serializer = new XMLSerializer();
      return [...live.childNodes].map((n) => serializer.serializeToString(n)).join('');
    },
    svg,
    boxes,
    tile,
    keepText
  );
}

function pageSvg(parts) {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 ${PAGE.w} ${PAGE.h}" ` +
    'font-family="Arial, Helvetica, sans-serif">\n' +
    `<rect width="${PAGE.w}" height="${PAGE.h}" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

function text(x, y, s, { size = 10, weight = 'normal', anchor = 'start', fill = '#222' } = {}) {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="${fill}">${esc(s)}</text>`;
}

function viewport(body, t, scale) {
  const w = t.w * scale;
  const h = t.h * scale;
  return (
    `<svg x="${PAGE.margin}" y="${PAGE.top}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" ` +
    `viewBox="${t.x.toFixed(2)} ${t.y.toFixed(2)} ${t.w.toFixed(2)} ${t.h.toFixed(2)}" overflow="hidden">${body}</svg>` +
    `<rect x="${PAGE.margin}" y="${PAGE.top}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" fill="none" stroke="#bbb" stroke-width="0.5"/>`
  );
}

async function printPages(tab, file, rendered) {
  const name = file.replace(/\.bpmn$/, '');
  const { scale, tiles, rows, cols } = layout(rendered.box);
  const pages = [];
  const n = tiles.length;
  const footer = `Getekend uit bpmn/${file} met bpmn-js; A4 liggend, op 100% afdrukken.`;
  if (n > 1) {
    // page 0: where each page lies on the diagram (the drawing without its text, the pages numbered)
    const areaW = PAGE.w - 2 * PAGE.margin;
    const areaH = PAGE.h - PAGE.top - PAGE.bottom;
    const all = {
      x: tiles[0].x,
      y: tiles[0].y,
      w: tiles[n - 1].x + tiles[n - 1].w - tiles[0].x,
      h: tiles[n - 1].y + tiles[n - 1].h - tiles[0].y
    };
    const s = Math.min(areaW / all.w, areaH / all.h);
    const body = await tileBody(tab, rendered.svg, rendered.boxes, all, false);
    const grid = tiles.map((t, i) => {
      const x = PAGE.margin + (t.x - all.x) * s;
      const y = PAGE.top + (t.y - all.y) * s;
      return (
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(t.w * s).toFixed(1)}" height="${(t.h * s).toFixed(1)}" ` +
        'fill="#1f5fa8" fill-opacity="0.06" stroke="#1f5fa8" stroke-width="1"/>' +
        text(x + (t.w * s) / 2, y + (t.h * s) / 2 + 6, String(i + 1), { size: 18, weight: 'bold', anchor: 'middle', fill: '#1f5fa8' })
      );
    });
    pages.push(
      pageSvg([
        text(PAGE.margin, 26, `${file}: overzicht van de ${n} pagina's (${rows} rijen van ${cols})`, { size: 14, weight: 'bold' }),
        viewport(body, { ...all, w: areaW / s, h: areaH / s }, s),
        ...grid,
        text(PAGE.margin, PAGE.h - 12, `${footer} Blauw: de pagina's; ze overlappen zodat elke taak heel op een pagina staat.`, { size: 9.5 })
      ])
    );
  }
  for (const [i, t] of tiles.entries()) {
    const body = await tileBody(tab, rendered.svg, rendered.boxes, t, true);
    const where = n > 1 ? ` (rij ${t.row + 1}, kolom ${t.col + 1})` : '';
    const neighbours = [];
    const at = (r, c) => tiles.findIndex((o) => o.row === r && o.col === c) + 1;
    if (n > 1) {
      if (t.col > 0) neighbours.push(`links: ${at(t.row, t.col - 1)}`);
      if (t.col < cols - 1) neighbours.push(`rechts: ${at(t.row, t.col + 1)}`);
      if (t.row > 0) neighbours.push(`boven: ${at(t.row - 1, t.col)}`);
      if (t.row < rows - 1) neighbours.push(`onder: ${at(t.row + 1, t.col)}`);
    }
    pages.push(
      pageSvg([
        text(PAGE.margin, 26, n > 1 ? `${file}: pagina ${i + 1} van ${n}${where}` : file, { size: 14, weight: 'bold' }),
        n > 1 ? text(PAGE.w - PAGE.margin, PAGE.h - 12, `aansluitende pagina's: ${neighbours.join(', ')}`, { size: 9.5, anchor: 'end' }) : '',
        viewport(body, t, scale),
        text(PAGE.margin, PAGE.h - 12, footer, { size: 9.5 })
      ])
    );
  }
  const written = [];
  for (const [i, svg] of pages.entries()) {
    const rel = `print/${name}-${String(n > 1 ? i : i + 1).padStart(2, '0')}.svg`;
    await writeFile(path.join(outDir, rel), svg);
    written.push(rel);
  }
  return written;
}

async function pdf(browser, name, svgs) {
  const tab = await browser.newPage();
  const body = svgs
    .map((s) => `<div class="page">${s.replace(/^<\?xml[^>]*>/, '').replace('width="297mm" height="210mm"', 'width="297mm" height="210mm" style="display:block"')}</div>`)
    .join('');
  await tab.setContent(
    `<!doctype html><html><head><style>@page{size:297mm 210mm;margin:0}body{margin:0}.page{width:297mm;height:210mm;overflow:hidden;break-after:page}</style></head><body>${body}</body></html>`
  );
  const rel = `print/${name}.pdf`;
  await tab.pdf({ path: path.join(outDir, rel), width: '297mm', height: '210mm', printBackground: true, tagged: false });
  await tab.close();
  return rel;
}

async function render(browser, file) {
  const xml = await readFile(path.join(sourceDir, file), 'utf8');
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1600, height: 900, deviceScaleFactor: 1 });
  await tab.setContent(html);
  for (const sheet of css) await tab.addStyleTag({ path: sheet });
  await tab.addScriptTag({ path: viewerJs });
  const rendered = await importDiagram(tab, xml);
  if (rendered.warnings.length) {
    throw new Error(`${file}: bpmn-js import warnings:\n  ${rendered.warnings.join('\n  ')}`);
  }
  const base = file.replace(/\.bpmn$/, '');
  const pages = await printPages(tab, file, rendered);
  const width = Math.ceil(rendered.box.width + 60);
  const height = Math.ceil(rendered.box.height + 60);
  await tab.setViewport({ width, height, deviceScaleFactor: 1 });
  await tab.evaluate(
    async (diagramXml, w, h) => {
      const container = document.querySelector('#canvas');
      container.innerHTML = '';
      container.style.width = `${w}px`;
      container.style.height = `${h}px`;
      // eslint-disable-next-line no-undef
      const viewer = new BpmnJS({ container });
      await viewer.importXML(diagramXml);
      viewer.get('canvas').zoom('fit-viewport', 'auto');
    },
    xml,
    width,
    height
  );
  await writeFile(path.join(outDir, `${base}.svg`), rendered.svg);
  await tab.screenshot({ path: path.join(outDir, `${base}.png`), fullPage: true });
  await tab.close();
  const svgs = await Promise.all(pages.map((p) => readFile(path.join(outDir, p), 'utf8')));
  const printed = await pdf(browser, base, svgs);
  return [`${base}.svg`, `${base}.png`, ...pages, printed];
}

// The timeline pictures (docs/diagrams/tijdlijn_*.svg, written by tools/journey_pictures.py from the
// .bpmn files) are A4 landscape pages already: rasterise each at 150 dpi.
async function rasterise(browser, file) {
  const svg = await readFile(path.join(outDir, file), 'utf8');
  const tab = await browser.newPage();
  const [width, height] = [1123, 794]; // A4 landscape at 96 css px per inch
  await tab.setViewport({ width, height, deviceScaleFactor: 150 / 96 });
  await tab.setContent(`<!doctype html><html><body style="margin:0">${svg.replace(/^<\?xml[^>]*>/, '')}</body></html>`);
  await tab.evaluate(() => {
    const el = document.querySelector('svg');
    el.setAttribute('width', '1123');
    el.setAttribute('height', '794');
  });
  const png = file.replace(/\.svg$/, '.png');
  await tab.screenshot({ path: path.join(outDir, png), clip: { x: 0, y: 0, width, height } });
  await tab.close();
  return png;
}

async function main() {
  await rm(printDir, { recursive: true, force: true });
  await mkdir(printDir, { recursive: true });
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.bpmn')).sort();
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'
    ]
  });
  const sources = [];
  const outputs = [];
  try {
    for (const file of files) {
      sources.push(`bpmn/${file}`);
      const written = await render(browser, file);
      outputs.push(...written.map((w) => `docs/diagrams/${w}`));
      console.log(`rendered ${file}: ${written.join(', ')}`);
    }
    const timelines = (await readdir(outDir)).filter((f) => /^tijdlijn_.*\.svg$/.test(f)).sort();
    for (const file of timelines) {
      sources.push(`docs/diagrams/${file}`);
      outputs.push(`docs/diagrams/${await rasterise(browser, file)}`);
      console.log(`rendered docs/diagrams/${file.replace(/\.svg$/, '.png')}`);
    }
  } finally {
    await browser.close();
  }
  const lines = [];
  for (const rel of [...sources, ...outputs]) {
    lines.push(`${sha(await readFile(path.join(root, rel)))}  ${rel}`);
  }
  await writeFile(path.join(outDir, 'SOURCES.sha256'), lines.join('\n') + '\n');
  console.log('wrote docs/diagrams/SOURCES.sha256');
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});

#!/usr/bin/env node
// Render every diagram in bpmn/ with bpmn-js in headless Chromium, into docs/diagrams/<name>.svg and
// <name>.png, and record the sha256 of each source file in docs/diagrams/SOURCES.sha256 so a test can
// tell when the pictures are out of step with the diagrams.
//
//   node tools/render_diagrams.mjs            (CHROMIUM=/path/to/chromium to override)
//
// Rendering is for documentation only; `make test` never needs a browser.

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'bpmn');
const outDir = path.join(root, 'docs', 'diagrams');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const viewerJs = require.resolve('bpmn-js/dist/bpmn-viewer.production.min.js');
const css = ['diagram-js.css', 'bpmn-js.css'].map((f) => require.resolve(`bpmn-js/dist/assets/${f}`));

const page = `<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;background:#fff}#canvas{width:1600px;height:900px}</style></head>
<body><div id="canvas"></div></body></html>`;

async function render(browser, file) {
  const xml = await readFile(path.join(sourceDir, file), 'utf8');
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1600, height: 900, deviceScaleFactor: 1 });
  await tab.setContent(page);
  for (const sheet of css) await tab.addStyleTag({ path: sheet });
  await tab.addScriptTag({ path: viewerJs });
  const result = await tab.evaluate(async (diagramXml) => {
    // eslint-disable-next-line no-undef
    const viewer = new BpmnJS({ container: '#canvas' });
    const { warnings } = await viewer.importXML(diagramXml);
    const canvas = viewer.get('canvas');
    const box = canvas.viewbox().inner;
    const { svg } = await viewer.saveSVG();
    return { warnings: warnings.map((w) => w.message), box, svg };
  }, xml);
  if (result.warnings.length) {
    throw new Error(`${file}: bpmn-js import warnings:\n  ${result.warnings.join('\n  ')}`);
  }
  const width = Math.ceil(result.box.width + 60);
  const height = Math.ceil(result.box.height + 60);
  await tab.setViewport({ width, height, deviceScaleFactor: 1 });
  await tab.evaluate(async (diagramXml, w, h) => {
    const container = document.querySelector('#canvas');
    container.innerHTML = '';
    container.style.width = `${w}px`;
    container.style.height = `${h}px`;
    // eslint-disable-next-line no-undef
    const viewer = new BpmnJS({ container });
    await viewer.importXML(diagramXml);
    viewer.get('canvas').zoom('fit-viewport', 'auto');
  }, xml, width, height);
  const base = file.replace(/\.bpmn$/, '');
  await writeFile(path.join(outDir, `${base}.svg`), result.svg);
  await tab.screenshot({ path: path.join(outDir, `${base}.png`), fullPage: true });
  await tab.close();
  return createHash('sha256').update(xml, 'utf8').digest('hex');
}

// The timeline pictures (docs/diagrams/tijdlijn_*.svg, written by tools/journey_pictures.py from the
// .bpmn files) are A4 landscape pages: rasterise each at 150 dpi.
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
  await tab.screenshot({ path: path.join(outDir, file.replace(/\.svg$/, '.png')), clip: { x: 0, y: 0, width, height } });
  await tab.close();
  return createHash('sha256').update(svg, 'utf8').digest('hex');
}

async function main() {
  await mkdir(outDir, { recursive: true });
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.bpmn')).sort();
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'
    ]
  });
  const lines = [];
  try {
    for (const file of files) {
      const digest = await render(browser, file);
      lines.push(`${digest}  bpmn/${file}`);
      console.log(`rendered docs/diagrams/${file.replace(/\.bpmn$/, '')}.{svg,png}`);
    }
    const timelines = (await readdir(outDir)).filter((f) => /^tijdlijn_.*\.svg$/.test(f)).sort();
    for (const file of timelines) {
      const digest = await rasterise(browser, file);
      lines.push(`${digest}  docs/diagrams/${file}`);
      console.log(`rendered docs/diagrams/${file.replace(/\.svg$/, '.png')}`);
    }
  } finally {
    await browser.close();
  }
  await writeFile(path.join(outDir, 'SOURCES.sha256'), lines.join('\n') + '\n');
  console.log('wrote docs/diagrams/SOURCES.sha256');
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});

#!/usr/bin/env node
// Open and save each diagram as Camunda Modeler does: bpmn-moddle (with the Camunda 7 and Modeler
// extensions) imports the XML and exports it again, formatted. The saved files go to OUT_DIR, so a
// test can lint, deploy and run them: what a designer gets after "open, save" must still work.
//
//   node tools/modeler_roundtrip.mjs OUT_DIR bpmn/*.bpmn

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const camunda = require('camunda-bpmn-moddle/resources/camunda.json');
const modeler = require('modeler-moddle/resources/modeler.json');

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node tools/modeler_roundtrip.mjs OUT_DIR FILE.bpmn...');
  process.exit(2);
}
await mkdir(outDir, { recursive: true });
let failed = 0;
for (const file of files) {
  const moddle = new BpmnModdle({ camunda, modeler });
  const { rootElement, warnings } = await moddle.fromXML(await readFile(file, 'utf8'), 'bpmn:Definitions');
  if (warnings.length) {
    failed += 1;
    for (const warning of warnings) console.log(`${file}: ${warning.message.split('\n')[0]}`);
  }
  const { xml } = await moddle.toXML(rootElement, { format: true });
  await writeFile(path.join(outDir, path.basename(file)), xml.endsWith("\n") ? xml : `${xml}\n`);
  console.log(`${file}: saved`);
}
process.exit(failed ? 1 : 0);

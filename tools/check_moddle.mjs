#!/usr/bin/env node
// Parse each diagram as bpmn-js does (bpmn-moddle with the Camunda 7 and Camunda Modeler extensions)
// and fail on any import warning: an unknown element or attribute, or a reference that does not
// resolve. Also fail when a flow element has no diagram interchange, so every diagram opens
// completely in Camunda Modeler and bpmn-js.
//
//   node tools/check_moddle.mjs bpmn/*.bpmn

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const camunda = require('camunda-bpmn-moddle/resources/camunda.json');
const modeler = require('modeler-moddle/resources/modeler.json');

const DRAWN = new Set([
  'bpmn:Participant', 'bpmn:Lane', 'bpmn:SequenceFlow', 'bpmn:TextAnnotation', 'bpmn:Association'
]);

function collectProblems(definitions, warnings) {
  const problems = warnings.map((w) => `import warning: ${w.message.split('\n')[0]}`);

  const drawn = new Set();
  for (const diagram of definitions.diagrams || []) {
    for (const di of diagram.plane.planeElement || []) {
      if (di.bpmnElement) drawn.add(di.bpmnElement.id);
      else problems.push(`diagram element ${di.id} has no bpmnElement`);
    }
  }

  const visit = (element) => {
    const type = element.$type;
    const needsShape = element.$instanceOf('bpmn:FlowNode') || DRAWN.has(type);
    if (needsShape && !drawn.has(element.id)) problems.push(`${type} ${element.id} is not drawn`);
    for (const child of element.flowElements || []) visit(child);
    for (const child of element.artifacts || []) visit(child);
    for (const set of element.laneSets || []) for (const lane of set.lanes || []) visit(lane);
  };
  for (const root of definitions.rootElements || []) {
    if (root.$type === 'bpmn:Collaboration') {
      for (const participant of root.participants || []) visit(participant);
    } else if (root.$type === 'bpmn:Process') {
      visit(root);
    }
  }
  return problems;
}

async function check(path) {
  const moddle = new BpmnModdle({ camunda, modeler });
  const xml = await readFile(path, 'utf8');
  try {
    const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
    return collectProblems(rootElement, warnings);
  } catch (error) {
    return [`cannot parse: ${error.message}`];
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/check_moddle.mjs FILE.bpmn...');
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  const problems = await check(file);
  if (problems.length) {
    failed += 1;
    console.log(`${file}: ${problems.length} problem(s)`);
    for (const problem of problems) console.log(`  ${problem}`);
  } else {
    console.log(`${file}: ok`);
  }
}
process.exit(failed ? 1 : 0);

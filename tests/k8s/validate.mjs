// validate.mjs FILE...: every document of the YAML files checked against the Kubernetes JSON
// schema of its kind (the npm package kubernetes-models, which validates with ajv). Exit 1 if any
// document does not validate. Run by tests/k8s/test-k8s.sh (make test-k8s).
import fs from 'node:fs';
import YAML from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';

const kinds = { 'batch/v1 Job': Job };
let bad = 0;
for (const f of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(f, 'utf8'))) {
    if (doc.errors.length) {
      bad++;
      console.log(`${f}: not YAML: ${doc.errors[0].message}`);
      continue;
    }
    const o = doc.toJS();
    const Model = kinds[`${o.apiVersion} ${o.kind}`];
    if (!Model) {
      bad++;
      console.log(`${f}: ${o.apiVersion} ${o.kind}: no schema known to this check`);
      continue;
    }
    try {
      new Model(o).validate();
      console.log(`${f}: ${o.kind} ${o.metadata.name}: valid`);
    } catch (e) {
      bad++;
      console.log(`${f}: ${o.kind} ${o.metadata && o.metadata.name}: ${e.message}`);
    }
  }
}
process.exit(bad ? 1 : 0);

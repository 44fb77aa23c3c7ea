// Validates calm-audit JSON reports against docs/report.schema.json.
// Usage: NODE_PATH=<dir with jsonschema> node .ci/validate-json-report.js SCHEMA REPORT...
const fs = require("fs");
const { Validator } = require("jsonschema");
const [schemaPath, ...reports] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
let bad = 0;
for (const file of reports) {
  const result = new Validator().validate(JSON.parse(fs.readFileSync(file, "utf8")), schema);
  for (const e of result.errors) {
    console.log(`${file}: ${e.property} ${e.message}`);
    bad++;
  }
}
if (bad === 0) console.log(`json schema: ${reports.length} report(s) OK`);
process.exit(bad ? 1 : 0);

// Validates glTF/GLB files with the Khronos glTF Validator and prints one JSON object per file.
// Usage: node validate_gltf.mjs FILE [FILE ...]; exit status 1 when any file has errors.
import { readFile } from "node:fs/promises";
import validator from "gltf-validator";

async function validate(path) {
  const bytes = new Uint8Array(await readFile(path));
  const report = await validator.validateBytes(bytes, { maxIssues: 200 });
  const issues = report.issues;
  return {
    path,
    numErrors: issues.numErrors,
    numWarnings: issues.numWarnings,
    numInfos: issues.numInfos,
    numHints: issues.numHints,
    messages: issues.messages.slice(0, 50).map((m) => ({
      code: m.code, severity: m.severity, message: m.message, pointer: m.pointer,
    })),
    info: report.info,
  };
}

let failed = false;
for (const path of process.argv.slice(2)) {
  const result = await validate(path);
  failed ||= result.numErrors > 0;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);

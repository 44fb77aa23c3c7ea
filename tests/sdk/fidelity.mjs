// SAP's own client (@sap-cloud-sdk/connectivity) against the test suite's fake Destination Service.
// Usage: VCAP_SERVICES='{"destination":[...]}' node fidelity.mjs DESTINATION_NAME [MISSING_NAME]
// Prints one JSON line {"all": [names...], "found": {name, authTokens} | null} on standard output,
// plus "missing": true|false (whether the SDK reports MISSING_NAME as absent) when that is given;
// the SDK may log other lines, so the reader looks for the line that starts with {"all":.
import { getAllDestinationsFromDestinationService, getDestination } from '@sap-cloud-sdk/connectivity';

const destinationName = process.argv[2];
const missingName = process.argv[3];
if (!destinationName) {
  process.stderr.write('usage: node fidelity.mjs DESTINATION_NAME [MISSING_NAME]\n');
  process.exit(2);
}

try {
  const all = await getAllDestinationsFromDestinationService({ useCache: false });
  const found = await getDestination({ destinationName, useCache: false });
  const result = {
    all: all.map((destination) => destination.name),
    found: found ? { name: found.name, authTokens: found.authTokens ?? null } : null
  };
  if (missingName) {
    // The SDK treats the find 404 as "no destination" only when its JSON body is SAP's exactly.
    result.missing = (await getDestination({ destinationName: missingName, useCache: false })) === null;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`fidelity.mjs failed: ${error?.stack ?? error}\n`);
  if (error?.cause) process.stderr.write(`cause: ${error.cause?.stack ?? error.cause}\n`);
  process.exit(1);
}

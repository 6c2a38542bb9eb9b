'use strict';
// A GraphQL-style service loads users through DataLoader. The loader was made once, at module
// level, and is shared by every request: DataLoader caches every key it ever loaded for as long
// as the loader lives, so each new user id stays in memory forever. DataLoader's README: "a new
// DataLoader instance is created per request"; its issue tracker keeps seeing the shared one.
//   node --expose-gc dataloader-shared.js --out DIR [--ops N] [--fixed]
// With --fixed, each request makes its own loader: the control.
const DataLoader = require('dataloader');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');


class UserRecord {
  constructor(id) {
    this.id = id;
    this.name = `User ${id}`;
    this.email = `user${id}@example.com`;
    this.roles = ['reader'];
  }
}

async function batchUsers(ids) {
  return ids.map((id) => new UserRecord(id));
}

const sharedLoader = new DataLoader(batchUsers);

async function handleRequest(i) {
  const loader = fixed ? new DataLoader(batchUsers) : sharedLoader;
  const [user, manager] = await Promise.all([loader.load(`u${i}`), loader.load(`u${i % 10}`)]);
  return `${user.name} reports to ${manager.name}`;
}

run((i) => handleRequest(i));

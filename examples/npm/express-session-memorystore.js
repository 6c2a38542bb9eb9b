'use strict';
// An Express service with express-session's default store. Every request comes without a
// cookie (API clients, health checks, crawlers) and `saveUninitialized` is left at its default,
// so every request stores a new session in the MemoryStore, which never frees them: the leak
// express-session's README warns about ("MemoryStore ... will leak memory under most
// conditions") and its issue tracker keeps hearing of.
//   node --expose-gc express-session-memorystore.js --out DIR [--ops N] [--fixed]
// With --fixed, saveUninitialized is false and requests that never touch req.session create
// no session: the control.
const express = require('express');
const session = require('express-session');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');
const { serve } = require('./serve');


const app = express();
app.use(session({ secret: 'heaplens test secret', resave: false, saveUninitialized: !fixed }));
app.get('/products/:id', (req, res) => {
  res.json({ id: req.params.id, name: `Product ${req.params.id}`, price: 9.99 });
});

serve(app).then((get) => run((i) => get(`/products/${i % 50}`)));

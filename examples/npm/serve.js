'use strict';
// Serves an HTTP app on a free loopback port for the programs of this folder, and sends it
// requests one at a time over a keep-alive connection, as a client of the service would.
const http = require('node:http');

/// Starts `app` (an http request listener) on 127.0.0.1 and resolves to `get(path, headers)`,
/// which sends one GET and resolves to `{ status, headers, body }`.
function serve(app) {
  return new Promise((resolve) => {
    const server = http.createServer(app);
    server.listen(0, '127.0.0.1', () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const { port } = server.address();
      const get = (path, headers = {}) =>
        new Promise((done, fail) => {
          const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => done({ status: res.statusCode, headers: res.headers, body }));
          });
          req.on('error', fail);
        });
      resolve(get);
    });
  });
}

module.exports = { serve };

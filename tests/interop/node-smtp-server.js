'use strict';
// A Node smtp-server peer for the interop tests (tests/SmtpCodec.IntegrationTests/Interop/NodeSmtpServerPeer.cs).
// Listens on 127.0.0.1 (port 0 by default), prints one JSON object per line on stdout:
//   {"event":"listening","port":N}
//   {"event":"auth","method":"PLAIN","user":"...","ok":true}
//   {"event":"message","from":"...","to":["..."],"bytes":N,"sha256":"...","user":"...","secure":true,"smtpUtf8":false,"bodyType":"8bitmime"}
//   {"event":"session-limit","transaction":N} (with --max-messages-per-session N)
// and stops on SIGTERM or when stdin closes (so that it never outlives the test that started it).
const crypto = require('node:crypto');
const fs = require('node:fs');
const { SMTPServer } = require('smtp-server');

function option(name, fallback) {
  const at = process.argv.indexOf('--' + name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const user = option('user', 'user@example.test');
const password = option('password', 'secret');
const token = option('token', 'token-1234');
const rejected = option('reject', 'rejected@example.test').toLowerCase();
const size = Number(option('size', '1048576'));
// As OpenSMTPD's default limit per session (100 there): MAIL is refused with 452 4.5.3 once a session has
// delivered this many messages; 0 for no limit.
const maxPerSession = Number(option('max-messages-per-session', '0'));

function print(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

const server = new SMTPServer({
  name: 'node.localhost',
  // --secure true: TLS from the first byte (implicit TLS, the submissions port 465 of RFC 8314).
  secure: option('secure', 'false') === 'true',
  key: fs.readFileSync(option('key')),
  cert: fs.readFileSync(option('cert')),
  authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
  size,
  rejectOversized: true,
  hideENHANCEDSTATUSCODES: false,
  logger: false,
  onAuth(auth, session, callback) {
    let ok;
    if (auth.method === 'XOAUTH2') {
      ok = auth.username === user && auth.accessToken === token;
      print({ event: 'auth', method: auth.method, user: auth.username, ok });
      return ok
        ? callback(null, { user: auth.username })
        : callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } });
    }
    ok = auth.username === user
      && (auth.method === 'CRAM-MD5' ? auth.validatePassword(password) : auth.password === password);
    print({ event: 'auth', method: auth.method, user: auth.username, ok });
    return ok ? callback(null, { user: auth.username }) : callback(new Error('Invalid username or password'));
  },
  onMailFrom(address, session, callback) {
    if (maxPerSession > 0 && session.transaction > maxPerSession) {
      print({ event: 'session-limit', transaction: session.transaction });
      const err = new Error('4.5.3 Too many recipients: Too many messages sent');
      err.responseCode = 452;
      return callback(err);
    }
    return callback();
  },
  onRcptTo(address, session, callback) {
    if (address.address.toLowerCase() === rejected) {
      const err = new Error('No such user here');
      err.responseCode = 550;
      return callback(err);
    }
    return callback();
  },
  onData(stream, session, callback) {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    stream.on('data', chunk => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        print({ event: 'oversized', bytes });
        return callback(); // rejectOversized answers 552
      }
      print({
        event: 'message',
        from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map(r => r.address),
        bytes,
        sha256: hash.digest('hex'),
        user: session.user || null,
        secure: session.secure,
        smtpUtf8: Boolean(session.envelope.smtpUtf8),
        bodyType: session.envelope.bodyType || null,
      });
      return callback(null, 'Ok: queued');
    });
  },
});

server.on('error', err => process.stderr.write('smtp-server error: ' + err.message + '\n'));
server.listen(Number(option('port', '0')), '127.0.0.1', () => {
  print({ event: 'listening', port: server.server.address().port });
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

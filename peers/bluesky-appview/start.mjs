// Starts Bluesky's test network (@atproto/dev-env TestNetwork: PLC, PDS, AppView, Ozone) on
// 127.0.0.1 for Keryx's metrics tests: likes, reposts, replies and follows are counted by the
// AppView, which the plain PDS (peers/bluesky) does not have.
//
//   DB_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_HOST=127.0.0.1:6379 \
//     node start.mjs [--exit-with-stdin]
//
// Each run uses its own PostgreSQL schema (random letters), dropped by nobody: they are small,
// and a fresh one keeps runs apart. When everything answers, one JSON line is printed on stdout:
// {"ready": true, "pds": "http://localhost:…", "plc": "…", "appview": "…"}. Stops on
// SIGTERM/SIGINT, and with --exit-with-stdin also when its stdin closes.
import crypto from 'node:crypto'
import net from 'node:net'

const LOOPBACK = '127.0.0.1'

// The services call listen(port) with no host, i.e. on every interface: pin them to loopback.
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function listen(...args) {
  const [first, second] = args
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined && first.host === undefined) {
      args[0] = { ...first, host: LOOPBACK }
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof second !== 'string') args.splice(1, 0, LOOPBACK)
  } else if (first === undefined || typeof first === 'function') {
    args.splice(0, 0, 0, LOOPBACK)
  }
  return originalListen.apply(this, args)
}

process.env.REDIS_HOST ??= `${LOOPBACK}:6379`
const dbPostgresUrl = process.env.DB_POSTGRES_URL ?? `postgres://postgres@${LOOPBACK}:5432/postgres`
// dev-env allows only letters and underscores in schema names.
const letters = 'abcdefghijklmnopqrstuvwxyz'
const schema = 'keryx_' + Array.from(crypto.randomBytes(10), (b) => letters[b % 26]).join('')

const { TestNetwork } = await import('@atproto/dev-env')
const network = await TestNetwork.create({ dbPostgresSchema: schema, dbPostgresUrl })

let closing = false
async function stop() {
  if (closing) return
  closing = true
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()
}
process.stdout.write(JSON.stringify({
  ready: true, pds: network.pds.url, plc: network.plc.url, appview: network.bsky.url, schema,
}) + '\n')

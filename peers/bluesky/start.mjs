// Starts a PLC directory (in-memory) and a real Bluesky PDS on 127.0.0.1 for Keryx's tests.
//
//   node start.mjs --pds-port 2583 --plc-port 2582 --data-dir /tmp/keryx-pds [--rate-limits]
//
// (or PDS_PORT / PLC_PORT / PDS_DATA_DIR in the environment). When both answer, one JSON line is
// printed on stdout: {"ready": true, "pds": "http://127.0.0.1:…", "plc": "http://127.0.0.1:…"}.
// The process stops on SIGTERM/SIGINT, and with --exit-with-stdin also when its stdin closes, so a
// test runner that dies without cleaning up does not leave a PDS behind.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

const LOOPBACK = '127.0.0.1'

// PDS and PLC call listen(port) with no host, i.e. on every interface. Tests must never expose a
// server beyond this machine, so every listen without a host is pinned to loopback.
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

function option(name, envName, fallback) {
  const flag = `--${name}`
  const index = process.argv.indexOf(flag)
  if (index !== -1 && process.argv[index + 1] !== undefined) return process.argv[index + 1]
  return process.env[envName] ?? fallback
}

const pdsPort = Number(option('pds-port', 'PDS_PORT', '2583'))
const plcPort = Number(option('plc-port', 'PLC_PORT', '2582'))
const dataDir = path.resolve(option('data-dir', 'PDS_DATA_DIR', 'data'))

// Imported after the listen wrapper is in place, so nothing can bind before it.
const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds')
const { Secp256k1Keypair } = await import('@atproto/crypto')
const plc = (await import('@did-plc/server')).default

// The PLC directory lives in memory, so DIDs from a previous run no longer exist: start the PDS
// from an empty folder every time.
fs.rmSync(dataDir, { recursive: true, force: true })
fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort })
await plcServer.start()
const plcUrl = `http://${LOOPBACK}:${plcPort}`

const rotationKey = await Secp256k1Keypair.create({ exportable: true })
const env = {
  port: pdsPort,
  hostname: 'localhost',
  devMode: true,
  dataDirectory: dataDir,
  blobstoreDiskLocation: path.join(dataDir, 'blobs'),
  didPlcUrl: plcUrl,
  plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
  jwtSecret: crypto.randomBytes(32).toString('hex'),
  adminPassword: crypto.randomBytes(16).toString('hex'),
  inviteRequired: false,
  serviceHandleDomains: ['.test'],
  crawlers: [],
  disableSsrfProtection: true,
  // Off by default: tests open many sessions. --rate-limits turns on the production limits
  // (createSession: 30 per 5 minutes per account) for tests of 429 handling.
  rateLimitsEnabled: process.argv.includes('--rate-limits'),
}
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()
const pdsUrl = `http://${LOOPBACK}:${pdsPort}`

let stopping = false
async function stop(code = 0) {
  if (stopping) return
  stopping = true
  try {
    await pds.destroy()
    await plcServer.destroy()
  } finally {
    process.exit(code)
  }
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => stop(0))
  process.stdin.on('error', () => stop(0))
  process.stdin.resume()
}

process.stdout.write(JSON.stringify({ ready: true, pds: pdsUrl, plc: plcUrl, pid: process.pid }) + '\n')

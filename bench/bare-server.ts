/**
 * The ceiling on this machine: a bare express 5 app whose routes send a constant JSON body of
 * the same size and shape as glance-share's answers — one member (`/member`) and a list of 128
 * members (`/members`) — with the app's own settings (no ETag, no X-Powered-By) and the same
 * way of sending (a Buffer with `Content-Type: application/json`). No database, no
 * authentication, no logging: everything glance-share does beyond this is its own cost.
 * Run as its own process by bench/run.ts (PORT from the environment).
 */
import express from 'express';

const member = (i: number): Record<string, string> => ({
  member_id: i === 0 ? 'proj-b' : `bench-member-${String(i).padStart(3, '0')}`,
  image_id: '11111111-1111-4111-8111-000000000001',
  status: 'pending',
  created_at: '2026-11-23T02:08:11Z',
  updated_at: '2026-11-23T02:08:11Z',
  schema: '/v2/schemas/member',
});

/** Python's json.dumps separators, as glance-share writes them. */
const pythonish = (value: unknown): string =>
  JSON.stringify(value).replaceAll('","', '", "').replaceAll('":"', '": "').replaceAll('},{', '}, {').replaceAll('],"', '], "');

const oneMember = Buffer.from(pythonish(member(0)));
const memberList = Buffer.from(pythonish({ members: Array.from({ length: 128 }, (_, i) => member(i)), schema: '/v2/schemas/members' }));

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/member', (_req, res) => {
  res.status(200).setHeader('Content-Type', 'application/json');
  res.send(oneMember);
});
app.get('/members', (_req, res) => {
  res.status(200).setHeader('Content-Type', 'application/json');
  res.send(memberList);
});

const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));

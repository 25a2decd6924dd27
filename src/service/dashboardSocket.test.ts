// The dashboard's requests between windows: a window that does not serve the learner asks the
// serving one through the service's `dashboard` operation and gets the same replies, errors included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardMethods } from '../shared/dashboardProtocol';
import { connect } from './connection';
import { socketTestDir, testConnectOptions } from './testing/connectOptions';

const start = Date.UTC(2026, 0, 5, 9);

test('a client window asks the serving window for dashboard data; invalid requests and commands come back as error replies', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'dashboard-socket');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const client = keep(await connect(dir, testConnectOptions(clock)));
  assert.equal(server.role, 'serve');
  assert.equal(client.role, 'client');
  for (const connection of [server, client]) {
    const overview = await connection.dashboard('overview', {});
    assert.ok(overview.ok, overview.ok ? '' : overview.error.message);
    assert.equal(overview.id, null);
    assert.equal(dashboardMethods.overview.result.parse(overview.result).counts.decisions, 0);
    const reward = await connection.dashboard('rewardOverTime', { buckets: 10 });
    assert.ok(reward.ok && dashboardMethods.rewardOverTime.result.parse(reward.result).bucketStarts.length >= 1);
  }
  const bad = await client.dashboard('rewardOverTime', { buckets: 1000 });
  assert.equal(bad.ok ? '' : bad.error.code, 'invalidParams');
  const unknown = await client.dashboard('dropTables' as never, {});
  assert.equal(unknown.ok ? '' : unknown.error.code, 'unknownMethod');
  const command = await client.dashboard('runCommand', { command: 'paramloop.pause' });
  assert.match(command.ok ? '' : command.error.message, /commands run in the window that shows the dashboard/);
});

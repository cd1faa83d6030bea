// conf/cluster.conf (src/config/cluster-config.ts): the shipped file, defaults, units, the text the
// launcher writes, and errors that name the file and line. Plus --cluster/--node-id on the command line.
import { expect } from 'chai';
import * as path from 'path';
import { NodeInfo } from '../../../src/cluster/cluster-types';
import { ClusterNodeConfig, formatClusterConf, parseClusterConfig, readClusterConfig } from '../../../src/config/cluster-config';
import { parseCommandLine } from '../../../src/config/command-line';
import { ConfigError } from '../../../src/config/conf-file';

const ROOT = path.resolve(__dirname, '../../../..');

const node = (id: number, client: number, inter: number, dir = `n${id}`) =>
  [`node.${id}.host = '127.0.0.1'`, `node.${id}.interconnect_port = ${inter}`, `node.${id}.client_port = ${client}`, `node.${id}.data_directory = '${dir}'`].join('\n');

describe('cluster conf', () => {
  it('reads the shipped conf/cluster.conf: three loopback nodes, local etcd, the issue’s defaults', () => {
    const c = readClusterConfig(path.join(ROOT, 'conf', 'cluster.conf'));
    expect(c.name).to.equal('tessera');
    expect(c.nodes.map((n) => [n.id, n.host, n.clientPort, n.interconnectPort, n.dataDirectory])).to.deep.equal([
      [1, '127.0.0.1', 5433, 5436, path.join(ROOT, 'data/cluster/node-1')],
      [2, '127.0.0.1', 5434, 5437, path.join(ROOT, 'data/cluster/node-2')],
      [3, '127.0.0.1', 5435, 5438, path.join(ROOT, 'data/cluster/node-3')],
    ]);
    expect(c.localEtcd).to.deep.equal({ host: '127.0.0.1', clientPort: 5439, peerPort: 5440, dataDirectory: path.join(ROOT, 'data/cluster/etcd') });
    expect(c.etcdEndpoints).to.deep.equal(['http://127.0.0.1:5439']);
    expect([c.replicationFactor, c.phiThreshold, c.acceptablePauseMs, c.heartbeatIntervalMs, c.batchWindowMs, c.maxBatch, c.leaseTtlMs]).to.deep.equal([2, 8, 500, 100, 1, 100, 5000]);
    // A node of the conf is a NodeInfo (the cluster layer's type) as it stands.
    const info: NodeInfo = c.nodes[0];
    expect(info.id).to.equal(1);
  });

  it('applies defaults, time units, external etcd endpoints and sorts nodes by id', () => {
    const text = ["etcd = 'http://10.0.0.1:2379, http://10.0.0.2:2379'", 'phi_threshold = 9.5', 'acceptable_pause = 1s', 'batch_window = 0', 'max_batch = 7', node(3, 6003, 7003), node(1, 6001, 7001)].join('\n');
    const c = parseClusterConfig(text, '/etc/t/cluster.conf');
    expect(c.nodes.map((n) => n.id)).to.deep.equal([1, 3]);
    expect(c.nodes[0].dataDirectory).to.equal('/etc/t/n1');
    expect(c.localEtcd).to.equal(null);
    expect(c.etcdEndpoints).to.deep.equal(['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
    expect([c.name, c.replicationFactor, c.phiThreshold, c.acceptablePauseMs, c.batchWindowMs, c.maxBatch]).to.deep.equal(['tessera', 2, 9.5, 1000, 0, 7]);
  });

  it('reads back what formatClusterConf writes (the launcher’s and the test helper’s conf)', () => {
    const nodes: ClusterNodeConfig[] = [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', clientPort: 9000 + id, interconnectPort: 9100 + id, dataDirectory: `/tmp/it's/node-${id}` }));
    const text = formatClusterConf({ name: 'c1', etcd: 'local', nodes, settings: { etcd_client_port: 9201, etcd_peer_port: 9202, etcd_data_directory: '/tmp/e', phi_threshold: 10 } });
    const c = parseClusterConfig(text, '/x/cluster.conf');
    expect(c.nodes).to.deep.equal(nodes);
    expect(c.name).to.equal('c1');
    expect(c.phiThreshold).to.equal(10);
    expect(c.localEtcd).to.deep.equal({ host: '127.0.0.1', clientPort: 9201, peerPort: 9202, dataDirectory: '/tmp/e' });
    expect(() => formatClusterConf({ etcd: 'local', nodes, settings: { phi: 1 } })).to.throw(ConfigError, 'unrecognized cluster parameter "phi"');
  });

  it('rejects bad lines naming file and line', () => {
    const bad = (text: string) => () => parseClusterConfig(text, 'c.conf', '/d');
    expect(bad(`${node(1, 6001, 7001)}\nnode.1.client_port = 6009`)).to.throw(ConfigError, '"node.1.client_port" is set twice in file "c.conf" line 5 (first at line 3)');
    expect(bad(`${node(1, 6001, 7001)}\n${node(2, 6001, 7002)}`)).to.throw(ConfigError, 'port 6001 of node.2.client_port in file "c.conf" line 7 is already used by node.1.client_port in file "c.conf" line 3');
    expect(bad(`${node(1, 6001, 7001)}\n${node(2, 6002, 6001)}`)).to.throw(ConfigError, /port 6001 of node.2.interconnect_port in file "c.conf" line 6 is already used by node.1.client_port/);
    expect(bad(`etcd_client_port = 7001\n${node(1, 6001, 7001)}\n${node(2, 6002, 7002)}`)).to.throw(ConfigError, /port 7001 of etcd_client_port in file "c.conf" line 1 is already used by node.1.interconnect_port/);
    expect(bad(`${node(1, 6001, 7001)}\n${node(2, 6002, 7002, 'n1')}`)).to.throw(ConfigError, 'node 2 and node 1 have the same data directory "/d/n1" in file "c.conf" line 8');
    expect(bad("node.1.host = '127.0.0.1'\nnode.1.client_port = 6001\nnode.1.data_directory = 'x'")).to.throw(ConfigError, 'node 1 has no node.1.interconnect_port (node 1 starts in file "c.conf" line 1)');
    expect(bad(`node.0.host = 'h'`)).to.throw(ConfigError, 'invalid node id "0" in file "c.conf" line 1');
    expect(bad(`node.x.host = 'h'`)).to.throw(ConfigError, 'invalid node id "x"');
    expect(bad(`node.1.port = 5`)).to.throw(ConfigError, 'unrecognized node field "port" in file "c.conf" line 1');
    expect(bad(`node.1 = '127.0.0.1:1:2'`)).to.throw(ConfigError, 'malformed node line "node.1" in file "c.conf" line 1');
    expect(bad(`${node(1, 6001, 70001)}`)).to.throw(ConfigError, '70001 is outside the valid range for "node.1.interconnect_port" (1 .. 65535) in file "c.conf" line 2');
    expect(bad(`phi_treshold = 8\n${node(1, 6001, 7001)}`)).to.throw(ConfigError, 'unrecognized cluster parameter "phi_treshold" in file "c.conf" line 1');
    expect(bad(`heartbeat_interval = 1 fortnight`)).to.throw(ConfigError, /syntax error/);
    expect(bad(`heartbeat_interval = 3weeks`)).to.throw(ConfigError, 'invalid value for "heartbeat_interval": "3weeks" in file "c.conf" line 1');
    expect(bad(`replication_factor = 3\n${node(1, 6001, 7001)}\n${node(2, 6002, 7002)}`)).to.throw(ConfigError, 'replication_factor 3 is more than the 2 node(s) listed in file "c.conf" line 1');
    expect(bad(`${node(1, 6001, 7001)}`)).to.throw(ConfigError, 'replication_factor 2 is more than the 1 node(s) listed (default of replication_factor)');
    expect(bad(`etcd = '10.0.0.1'\n${node(1, 6001, 7001)}`)).to.throw(ConfigError, 'invalid etcd endpoint "10.0.0.1" in file "c.conf" line 1');
    expect(bad('cluster_name = x')).to.throw(ConfigError, 'no nodes in "c.conf"');
    expect(bad(`read_lease = 2s\n${node(1, 6001, 7001)}\n${node(2, 6002, 7002)}`)).to.throw(ConfigError, 'read_lease (2s) must not exceed expel_after (1s) in file "c.conf" line 1');
    expect(parseClusterConfig(`read_lease = 1s\nexpel_after = 1s\n${node(1, 6001, 7001)}\n${node(2, 6002, 7002)}`, 'c.conf', '/d').readLeaseMs).to.equal(1000);
  });
});

describe('command line: --cluster and --node-id', () => {
  it('parses both forms and requires them together', () => {
    const a = parseCommandLine(['--cluster', 'conf/cluster.conf', '--node-id', '2', '-c', 'buffer_pool_size=64MB']);
    expect([a.clusterFile, a.nodeId, a.overrides.get('buffer_pool_size')]).to.deep.equal(['conf/cluster.conf', 2, '64MB']);
    const b = parseCommandLine(['--cluster=c.conf', '--node-id=3']);
    expect([b.clusterFile, b.nodeId]).to.deep.equal(['c.conf', 3]);
    expect(parseCommandLine([]).clusterFile).to.equal(null);
    expect(() => parseCommandLine(['--cluster', 'c.conf'])).to.throw('options --cluster and --node-id go together');
    expect(() => parseCommandLine(['--cluster', 'c.conf', '--node-id', '0'])).to.throw('option --node-id 0: expected a positive integer');
  });
});

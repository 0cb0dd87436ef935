import * as assert from 'node:assert/strict';
import { idKeyOf, peekLine, peekLineByScans, peekParts, type Peek } from '../../../src/shim/messagePeek';

/** The peek of `text`, without the fields it left undefined. */
function peek(text: string): Partial<Peek> {
  const b = Buffer.from(text);
  return Object.fromEntries(Object.entries(peekLine(b, 0, b.length)).filter(([, v]) => v !== undefined));
}

describe('JSON-RPC envelope peek', () => {
  it('finds id and method whatever the member order', () => {
    assert.deepEqual(peek('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"a":[1,{"id":9}]}}\n'), {
      object: true, id: 'n:7', method: 'tools/call', body: 'params', complete: true,
    });
    // The TypeScript SDK writes result first and id last.
    assert.deepEqual(peek('{"result":{"content":[{"type":"text","text":"\\"id\\":3}"}]},"jsonrpc":"2.0","id":"abc"}\n'), {
      object: true, id: 's:abc', body: 'result', complete: true,
    });
    assert.deepEqual(peek(' { "method" : "notifications/initialized" , "jsonrpc" : "2.0" } \r\n'), {
      object: true, method: 'notifications/initialized', complete: true,
    });
    assert.deepEqual(peek('{"jsonrpc":"2.0","error":{"code":-1,"message":"x"},"id":null}'), {
      object: true, id: 'null', body: 'error', complete: true,
    });
  });

  it('normalises ids as JSON values', () => {
    assert.equal(peek('{"id":1.0,"result":{}}').id, 'n:1');
    assert.equal(peek('{"id":"1","result":{}}').id, 's:1');
    assert.equal(peek('{"id":"a\\"b","result":{}}').id, 's:a"b');
    assert.equal(idKeyOf(1), 'n:1');
    assert.equal(idKeyOf('a"b'), 's:a"b');
    assert.equal(idKeyOf(null), 'null');
    assert.equal(idKeyOf({}), undefined);
  });

  it('says "not an object" for other lines', () => {
    for (const line of ['', 'hello', '[{"id":1}]', '\xff\xfe', '"{"']) {
      assert.equal(peek(line).object, false, line);
    }
  });

  it('does not mistake strings inside values for members', () => {
    const p = peek('{"jsonrpc":"2.0","method":"x","params":{"s":"\\\\\\",\\"id\\":5}"}}');
    assert.equal(p.method, 'x');
    assert.equal(p.id, undefined);
    assert.equal(p.complete, true);
  });

  it('agrees with JSON.parse on shuffled messages', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 500; k++) {
      const members: [string, unknown][] = [['jsonrpc', '2.0']];
      const kind = rnd(3);
      const id = rnd(2) ? rnd(1000) : `id-${rnd(1000)}"\\`;
      if (kind !== 2) {
        members.push(['id', id]);
      }
      if (kind === 0 || kind === 2) {
        members.push(['method', `m/${rnd(50)}`], ['params', { id: 'inner', t: 'x'.repeat(rnd(3000)), a: [1, '}', '"'] }]);
      } else {
        members.push([rnd(2) ? 'result' : 'error', { id: -1, text: '{"id":2}'.repeat(rnd(400)) }]);
      }
      for (let i = members.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [members[i], members[j]] = [members[j], members[i]];
      }
      const text = JSON.stringify(Object.fromEntries(members));
      const b = Buffer.from(text + '\n');
      const parsed = JSON.parse(text) as { id?: unknown; method?: string };
      const whole = peekLine(b, 0, b.length);
      // And from 1 KB copies of head and tail, as for a line streamed in many chunks.
      const head = b.subarray(0, 1024);
      const tail = b.subarray(Math.max(0, b.length - 1024));
      const parts = peekParts(head, 0, head.length, tail, 0, tail.length, b.length <= 1024);
      for (const p of [whole, parts]) {
        assert.equal(p.id, parsed.id === undefined ? undefined : idKeyOf(parsed.id), text.slice(0, 200));
        assert.equal(p.method, parsed.method, text.slice(0, 200));
      }
    }
  });

  it('reads the common shapes by its shortcut exactly as the member scans do', () => {
    const lines = [
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","_meta":{"threadId":"t"}}}',
      '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}\r',
      '{"jsonrpc":"2.0","id":"req-1","method":"tools/list","params":{}}',
      '{"jsonrpc":"2.0","id":"a\\"b","method":"ping"}',
      '{"jsonrpc":"2.0","id":12,"method":"ping"}',
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}',
      '{"jsonrpc":"2.0","method":"m\\u0041","params":[]}',
      '{"jsonrpc":"2.0","id":5,"result":{"content":[]}}',
      '{"jsonrpc":"2.0","id":5,"result":[1,2]}  ',
      '{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"nope"}}',
      '{"jsonrpc":"2.0","id":5,"result":{"a":1},"id":6}',
      '{"jsonrpc":"2.0","id":5,"method":"x","params":{"a":1},"id":6}',
      '{"jsonrpc":"2.0","id":5,"method":"x","params":{"a":1},"extra":{"b":2}}',
      '{"jsonrpc":"2.0","id":007,"method":"x","params":{}}',
      '{"jsonrpc":"2.0","id":1234567890123456789,"method":"x","params":{}}',
      '{"jsonrpc":"2.0","id":1.5,"method":"x","params":{}}',
      '{"jsonrpc":"2.0","id":-1,"result":{}}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}',
      '{"jsonrpc":"2.0","id":3,"result":"text"}',
      '{"jsonrpc":"2.0","id":3,"result":{}',
      '{"jsonrpc":"2.0","id":3,"method":"x","params":5}',
      '{"jsonrpc":"2.0","id":3 ,"method":"x","params":{}}',
      '{"jsonrpc":"2.0","id":3,"method":"' + 'm'.repeat(300) + '","params":{}}',
      '{"jsonrpc":"2.0","id":"' + 'i'.repeat(300) + '","result":{}}',
      '{"jsonrpc":"2.0","id":',
      '{"jsonrpc":"2.0","id":3,"method":"x"',
      '{"jsonrpc":"2.0","method":"x","params":{"s":"}"}}',
      '{"jsonrpc":"2.0","id":"\u00e9","result":{}}',
      '{"jsonrpc":"2.0","id":"é","result":{}}',
      '{"jsonrpc":"2.0","id":1',
      '{"jsonrpc":"2.0","method":"x"}',
    ];
    for (const text of lines) {
      for (const suffix of ['', '\n', '\r\n']) {
        const b = Buffer.from(text + suffix);
        assert.deepEqual(peekLine(b, 0, b.length), peekLineByScans(b, 0, b.length), JSON.stringify(text + suffix));
        // And as one line of several in a chunk.
        const chunk = Buffer.concat([Buffer.from('{"x":1}\n'), b, Buffer.from('\n{"jsonrpc":"2.0","id":9,"result":{}}\n')]);
        assert.deepEqual(peekLine(chunk, 8, 8 + b.length), peekLineByScans(chunk, 8, 8 + b.length), JSON.stringify(text + suffix));
        // And ranges that stop short of the line's end (the bytes after them must not be read).
        for (let cut = 1; cut <= 3 && cut < b.length; cut++) {
          assert.deepEqual(peekLine(chunk, 8, 8 + b.length - cut), peekLineByScans(chunk, 8, 8 + b.length - cut), `${JSON.stringify(text + suffix)} cut by ${cut}`);
        }
      }
    }
  });
});

// SPDX-License-Identifier: LGPL-2.1-or-later
// gir: the 0.2 API from gjs, run by test_gjs.py. One line per check,
// "ok - NAME" or "not ok - NAME: why", then exit status 0 if all passed.
//
//   gjs vm-test.js states
//       Vmstate1.States and the error enum: no bus.
//   gjs vm-test.js vm ADDRESS
//       The QEMU side and the non-blocking helper calls on the bus at
//       ADDRESS, where C counter helpers 'alpha' and 'beta' run.

imports.gi.versions.GLib = '2.0';
imports.gi.versions.Gio = '2.0';
imports.gi.versions.Vmstate1 = '1.0';
const {GLib, GObject, Gio, Vmstate1} = imports.gi;
const System = imports.system;

let failures = 0;

function check(name, condition, why = '') {
    if (condition) {
        print(`ok - ${name}`);
    } else {
        print(`not ok - ${name}${why ? `: ${why}` : ''}`);
        failures++;
    }
}

function equal(name, got, expected) {
    const g = JSON.stringify(got), e = JSON.stringify(expected);
    check(name, g === e, `got ${g}, expected ${e}`);
}

// Runs fn and checks that it throws a GLib.Error of this domain and code.
function throwsError(name, domain, code, fn) {
    try {
        fn();
    } catch (e) {
        check(name, e instanceof GLib.Error && e.matches(domain, code),
            `threw ${e} (${e.domain}, ${e.code})`);
        return e;
    }
    check(name, false, 'did not throw');
    return null;
}

async function rejectsError(name, domain, code, promise) {
    try {
        await promise;
    } catch (e) {
        check(name, e instanceof GLib.Error && e.matches(domain, code),
            `threw ${e} (${e.domain}, ${e.code})`);
        return e;
    }
    check(name, false, 'did not fail');
    return null;
}

// An _async/_finish pair as a Promise: obj.NAME_async(...args, callback).
function call(obj, name, ...args) {
    return new Promise((resolve, reject) => {
        obj[`${name}_async`](...args, (source, result) => {
            try {
                resolve(obj[`${name}_finish`](result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

function connect(address) {
    return call({
        connect_async: Vmstate1.connect_async,
        connect_finish: Vmstate1.connect_finish,
    }, 'connect', address, null);
}

const hex = bytes => Array.from(bytes.toArray(),
    b => b.toString(16).padStart(2, '0')).join('');
const bytesOf = string => new GLib.Bytes(new TextEncoder().encode(string));
const fromHex = string => new GLib.Bytes(Uint8Array.from(
    string.match(/../g) ?? [], h => parseInt(h, 16)));

const KNOWN_HEX = '00000002' + '00000001' + '61' + '00000002' + '7879' +
    '00000002' + '6263' + '00000000';

function testStates() {
    const states = Vmstate1.States.new();
    check('add', states.add('bc', new GLib.Bytes(new Uint8Array(0))) &&
        states.add('a', bytesOf('xy')));
    equal('get_length', states.get_length(), 2);
    equal('dup_ids sorted', states.dup_ids(), ['a', 'bc']);
    equal('encode known bytes', hex(states.encode()), KNOWN_HEX);
    equal('encode nothing', hex(Vmstate1.States.new().encode()), '00000000');

    const decoded = Vmstate1.States.decode(fromHex(KNOWN_HEX));
    check('decode gives States', decoded instanceof Vmstate1.States);
    equal('decode ids', decoded.dup_ids(), ['a', 'bc']);
    equal('lookup', hex(decoded.lookup('a')), '7879');
    equal('lookup empty state', decoded.lookup('bc').get_size(), 0);
    equal('lookup missing', decoded.lookup('nobody'), null);
    equal('round trip', hex(decoded.encode()), KNOWN_HEX);
    equal('decode accepts zero padding', hex(Vmstate1.States.decode(
        fromHex(KNOWN_HEX + '00'.repeat(39))).encode()), KNOWN_HEX);
    const e = throwsError('decode refuses a non-zero trailing byte',
        Vmstate1.error_quark(), Vmstate1.Error.MALFORMED,
        () => Vmstate1.States.decode(fromHex(`${KNOWN_HEX}0001`)));
    check('the message gives the offset', e && e.message.includes('26'),
        e && e.message);
    throwsError('decode refuses truncation', Vmstate1.error_quark(),
        Vmstate1.Error.MALFORMED,
        () => Vmstate1.States.decode(fromHex(KNOWN_HEX.slice(0, -2))));
    throwsError('add refuses a duplicate', Vmstate1.error_quark(),
        Vmstate1.Error.DUPLICATE_ID, () => states.add('a', bytesOf('z')));
    throwsError('add refuses an empty Id', Vmstate1.error_quark(),
        Vmstate1.Error.INVALID_ID, () => states.add('', bytesOf('z')));
    throwsError('add refuses a state over 1 MiB', Vmstate1.error_quark(),
        Vmstate1.Error.TOO_LARGE, () => states.add('big',
            new GLib.Bytes(new Uint8Array(Vmstate1.DATA_MAX_SIZE + 1))));

    // The error enum is a registered type, TIMED_OUT included.
    equal('Error.TIMED_OUT', Vmstate1.Error.TIMED_OUT, 9);
    // gjs makes an error domain's enum a GLib.Error class of its own.
    const late = new Vmstate1.Error({code: Vmstate1.Error.TIMED_OUT,
        message: 'late'});
    check('Vmstate1.Error is the domain of error_quark()',
        late instanceof GLib.Error &&
        late.matches(Vmstate1.error_quark(), Vmstate1.Error.TIMED_OUT) &&
        late.domain === Vmstate1.Error.quark());
    const remote = Gio.DBusError.new_for_dbus_error(
        'org.libvmstate1.Error.TimedOut', 'late');
    check('D-Bus name maps to TIMED_OUT',
        remote.matches(Vmstate1.error_quark(), Vmstate1.Error.TIMED_OUT));
    equal('no shadow or removed functions',
        ['stream_decode_variant', 'stream_decode', 'stream_encode',
            'save_all', 'load_all', 'list_helpers']
            .filter(name => name in Vmstate1), []);
}

const JsHelper = GObject.registerClass(
class JsHelper extends Vmstate1.Helper {
    _init(id, state) {
        super._init({id});
        this.state = state;
        this.loads = [];
    }

    vfunc_save(cancellable) {
        return this.state;
    }

    vfunc_load(data, cancellable) {
        this.loads.push(hex(data));
        this.state = data;
        return true;
    }
});

async function testVm(address) {
    const caller = await connect(address);
    check('connect_async', caller instanceof Gio.DBusConnection &&
        caller.get_unique_name().startsWith(':'));

    const vm = Vmstate1.Vm.new(caller);
    equal('timeout-msec default', vm.timeout_msec,
        Vmstate1.DEFAULT_TIMEOUT_MSEC);
    vm.timeout_msec = 2000;
    equal('timeout-msec set', vm.get_timeout_msec(), 2000);
    check('connection property', vm.connection === caller);

    let infos = await call(vm, 'list_helpers', null);
    equal('list_helpers_async ids', infos.map(i => i.get_id()),
        ['alpha', 'beta']);
    check('HelperInfo unique names', infos.every(
        i => i instanceof Vmstate1.HelperInfo &&
            i.get_unique_name().startsWith(':')));

    // A helper of this script, exported without blocking the main loop.
    const own = await connect(address);
    const helper = new JsHelper('js', bytesOf('\x01js'));
    check('export_async', await call(helper, 'export', own, null));
    check('exported', helper.exported && helper.get_connection() === own);
    const twin = new JsHelper('js', bytesOf('\x01twin'));
    await rejectsError('export_async of a taken Id', Vmstate1.error_quark(),
        Vmstate1.Error.DUPLICATE_ID, call(twin, 'export',
            await connect(address), null));

    infos = await call(vm, 'list_helpers', null);
    equal('list_helpers in queue order', infos.map(i => i.get_id()),
        ['alpha', 'beta', 'js']);
    equal('HelperInfo of this helper', infos[2].get_unique_name(),
        own.get_unique_name());

    const states = await call(vm, 'save', null);
    check('save_async gives States', states instanceof Vmstate1.States);
    equal('saved ids', states.dup_ids(), ['alpha', 'beta', 'js']);
    equal('saved state of js', hex(states.lookup('js')), '016a73');
    equal('counter state size', states.lookup('alpha').get_size(), 9);

    vm.id_list = ['js'];
    equal('id-list property', vm.get_id_list(), ['js']);
    const reload = Vmstate1.States.new();
    reload.add('js', bytesOf('\x01back'));
    check('load_async', await call(vm, 'load', reload, null));
    equal('helper got the state', helper.loads, ['016261636b']);

    vm.set_id_list(['js', 'gamma']);
    const missing = await rejectsError('id-list with a missing Id',
        Vmstate1.error_quark(), Vmstate1.Error.MISSING_ID,
        call(vm, 'save', null));
    check('the message names it', missing && missing.message.includes('gamma'),
        missing && missing.message);

    // Unexport returns at once; the Vm sees the helper gone.
    helper.unexport();
    check('unexported', !helper.exported);
    vm.set_id_list(null);
    infos = await call(vm, 'list_helpers', null);
    equal('list after unexport', infos.map(i => i.get_id()),
        ['alpha', 'beta']);
}

function main(argv) {
    if (argv[0] === 'states') {
        testStates();
        return failures ? 1 : 0;
    }
    if (argv[0] !== 'vm' || argv.length !== 2) {
        printerr('usage: vm-test.js states | vm ADDRESS');
        return 2;
    }
    const loop = new GLib.MainLoop(null, false);
    testVm(argv[1]).catch(e => {
        check('no exception', false, `${e}\n${e.stack}`);
    }).finally(() => loop.quit());
    GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 60, () => {
        check('finished in time', false);
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    return failures ? 1 : 0;
}

System.exit(main(ARGV));

#!/usr/bin/env gjs
// SPDX-License-Identifier: LGPL-2.1-or-later
// The counter helper in JavaScript (gjs): a counter that survives
// migration, with the options, output and 9-byte state of
// examples/counter-helper.c, so it migrates to and from the C and
// Python helpers.
//
//   gjs-helper.js --dbus-address=unix:path=/run/vm.bus --dbus-id=counter
//
// From a build tree, set GI_TYPELIB_PATH and LD_LIBRARY_PATH to its
// libvmstate1 directory.

imports.gi.versions.GLib = '2.0';
imports.gi.versions.Vmstate1 = '1.0';
const {GLib, GObject, Vmstate1} = imports.gi;
const System = imports.system;

// A format version byte then the value, big-endian: never empty, since
// QEMU cannot migrate an empty state.
const STATE_VERSION = 1;
const STATE_SIZE = 9;

const CounterHelper = GObject.registerClass(
class CounterHelper extends Vmstate1.Helper {
    _init(id, counting) {
        super._init({id});
        // BigInt: the value is a u64, past what a JS number holds exactly.
        this.value = 0n;
        this.counting = counting;
    }

    vfunc_save(cancellable) {
        const state = new Uint8Array(STATE_SIZE);
        const view = new DataView(state.buffer);
        view.setUint8(0, STATE_VERSION);
        view.setBigUint64(1, this.value, false);
        print(`saved counter=${this.value}`);
        return new GLib.Bytes(state);
    }

    vfunc_load(data, cancellable) {
        const size = data.get_size();
        const state = size === STATE_SIZE ? data.get_data() : null;
        if (state === null || state[0] !== STATE_VERSION) {
            // A one-byte view, not a copy of a state up to 1 MiB.
            const version = size > 0
                ? data.new_from_bytes(0, 1).get_data()[0] : -1;
            // A GLib.Error reaches QEMU (or a Vmstate1.Vm) as is.
            throw new GLib.Error(Vmstate1.error_quark(),
                Vmstate1.Error.MALFORMED,
                `expected a version ${STATE_VERSION} counter state of ` +
                `${STATE_SIZE} bytes, got ${size} bytes (version ${version})`);
        }
        const view = new DataView(state.buffer, state.byteOffset, STATE_SIZE);
        this.value = view.getBigUint64(1, false);
        print(`loaded counter=${this.value}` +
              `${this.counting ? '' : ', counting from here'}`);
        this.counting = true;
        return true;
    }

    tick() {
        if (this.counting) {
            this.value = BigInt.asUintN(64, this.value + 1n);
            print(`counter=${this.value}`);
        }
        return GLib.SOURCE_CONTINUE;
    }
});

function usage(message) {
    printerr(`gjs-helper: ${message}`);
    printerr('Usage: gjs-helper.js [--dbus-address=ADDRESS] [--dbus-id=ID] ' +
             '[--dbus-incoming] [--interval=MSEC]');
    System.exit(2);
}

function parseArgs(argv) {
    const options = {address: null, id: 'counter', incoming: false,
        interval: 1000};
    for (let i = 0; i < argv.length; i++) {
        let [name, value] = argv[i].split(/=(.*)/s);
        const needValue = () => {
            if (value === undefined) {
                if (i + 1 >= argv.length)
                    usage(`missing value for ${name}`);
                value = argv[++i];
            }
            return value;
        };
        switch (name) {
        case '--dbus-address':
            options.address = needValue();
            break;
        case '--dbus-id':
            options.id = needValue();
            break;
        case '--dbus-incoming':
            options.incoming = true;
            break;
        case '--interval':
            options.interval = Number(needValue());
            if (!Number.isInteger(options.interval) || options.interval <= 0)
                usage('--interval must be a positive integer');
            break;
        default:
            usage(`unknown option ${argv[i]}`);
        }
    }
    return options;
}

function main(argv) {
    const options = parseArgs(argv);
    const loop = new GLib.MainLoop(null, false);
    const helper = new CounterHelper(options.id, !options.incoming);
    let status = 0;

    const fail = message => {
        printerr(`gjs-helper: ${message}`);
        status = 1;
        loop.quit();
    };

    // Nothing blocks the main loop, start-up included: connect, then
    // export; "ready" once the bus has queued the helper, from when a
    // migration sees it.
    const onExported = (self, result) => {
        try {
            helper.export_finish(result);
        } catch (e) {
            fail(e.message);
            return;
        }
        const connection = helper.get_connection();
        connection.connect('closed', (c, remotePeerVanished, error) => {
            fail('the bus connection closed: ' +
                 `${error ? error.message : 'closed'}`);
        });
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, options.interval,
            () => helper.tick());
        print(`ready: Id '${options.id}' on ${connection.get_unique_name()}` +
              `${options.incoming ? ', waiting for the incoming state' : ''}`);
    };

    Vmstate1.connect_async(options.address, null, (source, result) => {
        let connection;
        try {
            connection = Vmstate1.connect_finish(result);
        } catch (e) {
            fail(e.message);
            return;
        }
        helper.export_async(connection, null, onExported);
    });
    for (const signum of [15 /* SIGTERM */, 2 /* SIGINT */]) {
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => {
            loop.quit();
            return GLib.SOURCE_REMOVE;
        });
    }
    loop.run();

    // Returns at once: no Save or Load reaches the helper after it.
    helper.unexport();
    return status;
}

System.exit(main(ARGV));

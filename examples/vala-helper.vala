/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A helper in Vala, through the generated libvmstate1.vapi: a counter
 * whose value survives migration, as examples/counter-helper.c.
 *
 *   vala-helper --dbus-address=unix:path=/run/vm.bus --dbus-id=counter
 */

class Counter : Vmstate1.Helper {
    public uint64 value = 0;

    public Counter (string id) {
        Object (id: id);
    }

    /* A version byte, then the value, big-endian: never empty. */
    public override GLib.Bytes save (GLib.Cancellable? cancellable) throws GLib.Error {
        uint8[] state = new uint8[9];
        state[0] = 1;
        for (int i = 0; i < 8; i++)
            state[1 + i] = (uint8) (value >> (56 - 8 * i));
        return new GLib.Bytes (state);
    }

    public override bool load (GLib.Bytes data, GLib.Cancellable? cancellable) throws GLib.Error {
        unowned uint8[] state = data.get_data ();
        if (state.length != 9 || state[0] != 1)
            throw new Vmstate1.Error.MALFORMED ("expected 9 bytes of version 1, got %d", state.length);
        uint64 loaded = 0;
        for (int i = 0; i < 8; i++)
            loaded = (loaded << 8) | state[1 + i];
        value = loaded;
        return true;
    }
}

static string? address = null;
static string? id = null;

const GLib.OptionEntry[] options = {
    { "dbus-address", 0, 0, GLib.OptionArg.STRING, ref address, "D-Bus address of the VM's bus", "ADDRESS" },
    { "dbus-id", 0, 0, GLib.OptionArg.STRING, ref id, "Id of this helper on the bus", "ID" },
    { null }
};

int main (string[] args) {
    try {
        var context = new GLib.OptionContext ("- a counter helper in Vala");
        context.add_main_entries (options, null);
        context.parse (ref args);
    } catch (GLib.Error e) {
        stderr.printf ("vala-helper: %s\n", e.message);
        return 2;
    }
    var loop = new GLib.MainLoop ();
    try {
        var bus = Vmstate1.connect (address, null);
        var counter = new Counter (id ?? "counter");
        counter.loaded.connect (() => {
            stdout.printf ("loaded counter=%" + uint64.FORMAT + "\n", counter.value);
            stdout.flush ();
        });
        counter.export (bus);
        stdout.printf ("ready: Id '%s' on %s\n", counter.id, bus.get_unique_name ());
        /* Whoever started it reads this line through a pipe. */
        stdout.flush ();
        GLib.Timeout.add (100, () => { counter.value++; return GLib.Source.CONTINUE; });
        GLib.Unix.signal_add (GLib.ProcessSignal.TERM, () => { loop.quit (); return GLib.Source.REMOVE; });
        loop.run ();
    } catch (GLib.Error e) {
        stderr.printf ("vala-helper: %s\n", e.message);
        return 1;
    }
    return 0;
}

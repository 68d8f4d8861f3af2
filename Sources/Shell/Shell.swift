import CLuaShim
import Glibc
import LabBindings
import LuaHost

/// labsh's entry point: parse the command line, run, exit.
public enum Shell {
    public static func main() -> Never {
        let args = Arguments(CommandLine.arguments)
        if args.showHelp {
            printOut(helpText(args.progname))
            exit(0)
        }
        if args.showLabshVersion {
            printOut("labsh \(Lab.version) (\(String(cString: lh_release())))\n")
            exit(0)
        }
        if let error = args.error {
            printErr(usage(args.progname, error))
            exit(1)
        }
        guard let state = try? LuaState() else {
            printErr("\(args.progname): cannot create state: not enough memory\n")
            exit(1)
        }
        // Like lua.c's pmain, everything runs inside one protected C call,
        // so tracebacks end in the same "[C]: in ?" frame.
        let runner = Runner(args, state: state)
        var status: Int32 = 1
        state.pushFunction { _ in
            status = runner.run()
            return 0
        }
        if lh_pcall(state.L, 0, 0, 0) != 0 {
            runner.message(state.errorText(at: -1))
            status = 1
        }
        // A stopped script's children go with it (os.execute, io.popen);
        // then finalizers run undisturbed.
        if lh_stop_reason() != Int32(LH_STOP_NONE) { lh_end_children() }
        lh_clear_stop(state.L)
        state.closeBeforeExit()
        exit(status)
    }

    /// The options of lua 5.4, worded as its usage text words them.
    static let luaOptions = """
          -e stat   execute string 'stat'
          -i        enter interactive mode after executing 'script'
          -l mod    require library 'mod' into global 'mod'
          -l g=mod  require library 'mod' into global 'g'
          -v        show version information
          -E        ignore environment variables
          -W        turn warnings on
          --        stop handling options
          -         stop handling options and execute stdin
        """

    /// lua's usage text, naming labsh.
    static func usage(_ progname: String, _ error: String) -> String {
        """
        \(progname): \(error)
        usage: \(progname) [options] [script [args]]
        Available options are:
        \(luaOptions)

        """
    }

    static func helpText(_ progname: String) -> String {
        """
        usage: \(progname) [options] [script [args]]
               \(progname) [options] -m NAME [args]
               \(progname) test [DIR...]    run a library's specs (as -m test)

        labsh runs Lua 5.4 scripts with the homelab at hand (the global `lab`).
        It accepts everything the standard lua interpreter accepts:
        \(luaOptions)
        and adds:
          -m NAME               run script NAME (NAME.lua or NAME/init.lua) from the script path
          --timeout SECONDS     stop the script after SECONDS of wall time (exit 124)
          --memory-limit SIZE   cap Lua's memory, e.g. 64M or 1G ("not enough memory" past it)
          --inventory FILE      the inventory to use (read as lab.options.inventory)
          --dry-run             plan changes without making them (lab.options.dry_run)
          --yes                 do not ask before changes (lab.options.yes)
          --emergency           a normal change outside the maintenance window (lab.options.emergency)
          --format text|json|html  output for people or for machines (lab.options.format)
          --grant KIND=PATTERN  grant a library script a capability for this run (e.g. net=127.0.0.1:9090)
          --version             labsh and Lua versions
          --help                this text

        Script path: $LABSH_PATH, the scripts inside labsh, $XDG_DATA_HOME/labsh,
        /usr/local/share/labsh, /usr/share/labsh. Init: $LABSH_INIT, else $LUA_INIT_5_4,
        else $LUA_INIT (a chunk, or @file). Exit status: 0 ok, 1 error, 124 timeout,
        130 interrupted, 143 terminated.

        """
    }
}

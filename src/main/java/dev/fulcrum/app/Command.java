package dev.fulcrum.app;

import java.nio.file.Path;

/** What the command line asks for; see {@link Main}'s usage text. */
record Command(Action action, Path config, boolean diff) {

    enum Action { START, CHECK, WARM_UP, HELP }

    /** @throws IllegalArgumentException saying what is wrong, to go before the usage text */
    static Command parse(String... args) {
        Action action = args.length > 0 && args[0].equals("check") ? Action.CHECK : Action.START;
        Path config = Path.of("conf", "config.json");
        boolean diff = false;
        for (int i = action == Action.CHECK ? 1 : 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config", "-c" -> {
                    if (i + 1 == args.length || args[i + 1].isBlank()) {
                        throw new IllegalArgumentException("--config needs a path");
                    }
                    config = Path.of(args[++i]);
                }
                case "--diff" -> {
                    if (action != Action.CHECK) {
                        throw new IllegalArgumentException("--diff goes with check: fulcrum check --diff");
                    }
                    diff = true;
                }
                case "--warm-up" -> {
                    if (action == Action.CHECK) {
                        throw new IllegalArgumentException("--warm-up does not go with check");
                    }
                    action = Action.WARM_UP;
                }
                case "--help", "-h" -> {
                    return new Command(Action.HELP, config, false);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        return new Command(action, config, diff);
    }
}

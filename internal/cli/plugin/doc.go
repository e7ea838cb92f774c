// Package plugin finds and runs Docker CLI plugins (`docker-<name>`
// executables such as docker-compose) the way the docker CLI does, through
// docker/cli's own plugin manager: the directories (config.json's
// cliPluginsExtraDirs, <config dir>/cli-plugins, then the system plugin
// directories), the docker-cli-plugin-metadata handshake, the name rules and
// the arguments a plugin is run with. It hands the plugin the daemon tug
// talks to (DOCKER_HOST) and the plugin socket that tells it when to stop,
// and adds a help entry for each installed plugin.
package plugin

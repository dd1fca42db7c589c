// Package bot is coordbot's Discord bot: slash commands, buttons and modals
// to create meetings, answer invitations and propose agenda items.
//
// It is not built yet; see the open issue "Discord bot". coordbot serve
// refuses a [discord] configuration until it is.
package bot

/** What a chat platform's surface can do, as the core needs to know it when it answers. */
export interface Surface {
  /**
   * Where the answer to a submitted form goes: shown in the form's place (a Teams card), or
   * sent as a message because the form closes (a Slack modal).
   */
  formAnswers: "inline" | "message";
  /** Person pickers need the list of people (Teams choice sets); Slack lists the workspace itself. */
  peopleLists: boolean;
  /**
   * How the quality channel is chosen: typed in it (Teams: "qms channel" in that channel) or
   * named (Slack: "/qms channel #quality").
   */
  channelIsHere: boolean;
  /** Whether a message's menu can log it as a complaint (Slack's message shortcut). */
  messageShortcut: boolean;
  /**
   * Whether a command's answer is seen by the person who typed it only, wherever they typed it
   * (Slack's ephemeral replies); in Teams a reply in a channel is seen by everyone there.
   */
  privateReplies: boolean;
}

export const SLACK_SURFACE: Surface = {
  formAnswers: "message",
  peopleLists: false,
  channelIsHere: false,
  messageShortcut: true,
  privateReplies: true,
};
export const TEAMS_SURFACE: Surface = {
  formAnswers: "inline",
  peopleLists: true,
  channelIsHere: true,
  messageShortcut: false,
  privateReplies: false,
};

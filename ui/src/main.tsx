import { render } from "preact";
import { App } from "./app";
import { Api } from "./api";
import { HttpTransport, pageToken } from "./transport";
import { applyTheme, storedTheme } from "./theme";
import "./style.css";

applyTheme(storedTheme());
const api = new Api(new HttpTransport(pageToken()));
render(<App api={api} />, document.getElementById("app")!);

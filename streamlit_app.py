import streamlit as st
st.title("Neural Programmer Explorer")
st.write("The explorer app is being built.")
